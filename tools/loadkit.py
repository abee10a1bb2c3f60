"""What the load tools (tools/bench-queue, tools/bench-register, tools/soak)
share: building and starting a release server on a fresh SQLite file, the
admin API and /metrics, SIPp's totals, and a process's CPU, memory and file
descriptors from /proc. Python 3 standard library only.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIPP = os.path.join(ROOT, "tests/sipp")


def cpu_seconds(pid, children=False):
    """utime + stime of a process (and of its reaped children), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    last = 15 if children else 13
    return sum(int(x) for x in fields[11:last]) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    """Resident memory of a process, in KiB (VmRSS)."""
    with open(f"/proc/{pid}/status") as f:
        return int(next(l.split()[1] for l in f if l.startswith("VmRSS")))


def open_fds(pid):
    """How many file descriptors a process holds open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def release_binary(work, binary=None):
    """A private copy of the server in `work`: `binary` if given (or the
    environment's SWITCHBOARD_BINARY), else the release build (built first).
    A shared target folder may be rebuilt from another tree while we run,
    hence the copy."""
    binary = binary or os.environ.get("SWITCHBOARD_BINARY")
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        binary = os.path.join(target, "release", "switchboard")
    copy = os.path.join(work, "switchboard")
    shutil.copy2(binary, copy)
    return copy


def work_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix)


def write_config(work, top="", sections=""):
    """A configuration on loopback with ephemeral ports and a fresh SQLite
    file in `work`, no per-source login limit (every load comes from one
    address); `top` adds top-level keys and `sections` more tables. Returns
    (config path, db path)."""
    db = os.path.join(work, "switchboard.db")
    config = os.path.join(work, "switchboard.toml")
    with open(config, "w") as f:
        f.write(
            f'log = "warn"\n{top}'
            '[sip]\nudp = ["127.0.0.1:0"]\ntcp = []\nmax_transactions = 1000000\n'
            '[http]\nlisten = "127.0.0.1:0"\n'
            f'[database]\nurl = "sqlite://{db}"\n'
            "[auth]\nfailures_per_source_per_minute = 1000000\n"
            f"{sections}")
    return config, db


def import_extensions(binary, config, work, names, password):
    """Creates an extension (and its user) for each name, with password
    `password(name)`."""
    users_csv = os.path.join(work, "users.csv")
    with open(users_csv, "w") as u:
        for name in names:
            u.write(f"{name},{password(name)}\n")
    subprocess.run([binary, "--config", config, "extension", "import", users_csv],
                   check=True, stdout=subprocess.DEVNULL)


def sipp_users(path, names, password):
    """A SIPp injection file with each name's digest credentials."""
    with open(path, "w") as s:
        s.write("SEQUENTIAL\n")
        for name in names:
            s.write(f"{name};[authentication username={name} password={password(name)}]\n")
    return path


class Server:
    """`switchboard serve` on `config`; knows its SIP/UDP and HTTP addresses
    and the admin token it printed."""

    def __init__(self, binary, config, stderr=None):
        self.proc = subprocess.Popen([binary, "--config", config, "serve"],
                                     stdout=subprocess.PIPE, stderr=stderr, text=True)
        self.pid = self.proc.pid
        self.udp = self.http = self.token = None
        for line in self.proc.stdout:
            m = re.match(r"listening sip/udp (\S+)", line)
            self.udp = m.group(1) if m else self.udp
            m = re.match(r"admin-token (\S+)", line)
            self.token = m.group(1) if m else self.token
            m = re.match(r"listening http (\S+)", line)
            if m:
                self.http = m.group(1)
                break
        # Nothing else is printed; keep the pipe from filling all the same.
        self.proc.stdout.close()

    def api(self, method, path, body=None, token=None):
        return api(self.http, token or self.token, method, path, body)

    def metrics(self):
        return metrics(self.http)

    def metric(self, name):
        return metrics(self.http).get(name, 0.0)

    def stop(self, timeout=60):
        """SIGTERM; the exit code, or None if it did not stop in time."""
        self.proc.terminate()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def api(http, token, method, path, body=None):
    req = urllib.request.Request(
        f"http://{http}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def metrics(http):
    """Every unlabelled sample of /metrics, by name."""
    out = {}
    with urllib.request.urlopen(f"http://{http}/metrics", timeout=30) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("#") or "{" in line:
                continue
            parts = line.split()
            if len(parts) == 2:
                try:
                    out[parts[0]] = float(parts[1])
                except ValueError:
                    pass
    return out


def metric(http, name):
    return metrics(http).get(name, 0.0)


def sipp_totals(output):
    """(successful, failed) calls from the last statistics screen SIPp
    printed."""
    def cumulative(label):
        vals = [l.rsplit("|", 1)[-1].strip() for l in output.splitlines()
                if l.strip().startswith(label)]
        return int(vals[-1]) if vals and vals[-1].isdigit() else 0
    return cumulative("Successful call"), cumulative("Failed call")
