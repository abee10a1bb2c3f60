//! The queueing formulas the simulator is checked against.
//!
//! Erlang C: `c` agents, Poisson arrivals at rate `λ`, exponential handle times
//! of mean `1/μ`, callers wait for ever (M/M/c). With offered load `a = λ/μ`
//! and `C` the probability of waiting, the service level (share answered
//! within `t`) is `1 - C·e^{-(cμ-λ)t}` and the average speed of answer is
//! `C / (cμ - λ)`.
//!
//! Erlang A: the same with exponential patience of mean `1/θ` (M/M/c+M). The
//! number of callers in the system is a birth-death process (births `λ`,
//! deaths `min(n,c)μ + max(n-c,0)θ`); arrivals see its stationary law (PASTA).
//! A caller who finds `k` waiting ahead moves up at rate `cμ + iθ` with `i`
//! still ahead and gives up at rate `θ`, which gives the probability of being
//! answered and the expected wait of those answered exactly.

/// Erlang B: probability all `c` agents are busy with offered load `a`
/// (in Erlangs), by the stable recursion.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Erlang C: probability an arriving caller waits; 1 when `a >= c`.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    if a >= f64::from(c) {
        return 1.0;
    }
    let b = erlang_b(c, a);
    let c = f64::from(c);
    c * b / (c - a * (1.0 - b))
}

/// An M/M/c queue without abandonment, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct ErlangC {
    pub agents: u32,
    /// Arrivals per second.
    pub arrival_rate: f64,
    /// Mean handle time in seconds.
    pub handle_time: f64,
}

impl ErlangC {
    pub fn load(&self) -> f64 {
        self.arrival_rate * self.handle_time
    }

    pub fn p_wait(&self) -> f64 {
        erlang_c(self.agents, self.load())
    }

    /// Share of callers answered within `t` seconds.
    pub fn service_level(&self, t: f64) -> f64 {
        let rate = f64::from(self.agents) / self.handle_time - self.arrival_rate;
        1.0 - self.p_wait() * (-rate * t).exp()
    }

    /// Average speed of answer, seconds.
    pub fn asa(&self) -> f64 {
        let rate = f64::from(self.agents) / self.handle_time - self.arrival_rate;
        self.p_wait() / rate
    }
}

/// What Erlang A predicts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErlangAFigures {
    /// Probability an arriving caller has to wait.
    pub p_wait: f64,
    /// Share of callers who give up.
    pub abandon_rate: f64,
    /// Average wait of the answered callers (zero waits included), seconds.
    pub asa: f64,
    /// Average wait of every caller, answered or not, seconds.
    pub mean_wait: f64,
}

/// An M/M/c+M queue, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct ErlangA {
    pub agents: u32,
    pub arrival_rate: f64,
    pub handle_time: f64,
    /// Mean patience in seconds.
    pub patience: f64,
}

impl ErlangA {
    /// The stationary probabilities of 0, 1, 2, ... callers in the system,
    /// cut off where the rest no longer matters.
    fn stationary(&self) -> Vec<f64> {
        let c = self.agents as usize;
        let (lambda, mu, theta) = (
            self.arrival_rate,
            1.0 / self.handle_time,
            1.0 / self.patience,
        );
        // In logarithms, so hundreds of agents do not overflow.
        let mut ln_p = vec![0.0f64];
        let (mut n, mut max) = (0usize, 0.0f64);
        loop {
            n += 1;
            let death = mu * n.min(c) as f64 + theta * n.saturating_sub(c) as f64;
            let next = ln_p[n - 1] + (lambda / death).ln();
            ln_p.push(next);
            max = max.max(next);
            if n > c + 10 && next < max - 40.0 || n > c + 1_000_000 {
                break;
            }
        }
        let total: f64 = ln_p.iter().map(|l| (l - max).exp()).sum();
        ln_p.iter().map(|l| (l - max).exp() / total).collect()
    }

    /// Share of callers answered within `t` seconds (those who give up count
    /// as not answered in time).
    ///
    /// A caller who finds `k` waiting ahead passes stages `k, k-1, .., 0`;
    /// each lasts an exponential time of rate `cμ + iθ + θ` and ends in a move
    /// up (rate `cμ + iθ`) or in giving up (`θ`). The stage probabilities are
    /// carried forward in time together (fourth-order Runge-Kutta) and what
    /// leaves stage 0 upwards by `t` is answered in time.
    pub fn service_level(&self, t: f64) -> f64 {
        let p = self.stationary();
        let c = self.agents as usize;
        let (mu, theta) = (1.0 / self.handle_time, 1.0 / self.patience);
        let cmu = c as f64 * mu;
        let immediate: f64 = p.iter().take(c).sum();
        let mut q: Vec<f64> = p.iter().skip(c).copied().collect();
        if q.is_empty() || t <= 0.0 {
            return immediate;
        }
        let advance: Vec<f64> = (0..q.len()).map(|i| cmu + i as f64 * theta).collect();
        let deriv = |q: &[f64], out: &mut Vec<f64>| {
            out.clear();
            for i in 0..q.len() {
                let inflow = q.get(i + 1).map_or(0.0, |&x| advance[i + 1] * x);
                out.push(inflow - (advance[i] + theta) * q[i]);
            }
        };
        let fastest = advance.last().copied().unwrap_or(cmu) + theta;
        let steps = ((t * fastest * 20.0).ceil() as usize).max(200);
        let dt = t / steps as f64;
        let mut answered = 0.0;
        let (mut k1, mut k2, mut k3, mut k4) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut tmp = vec![0.0; q.len()];
        for _ in 0..steps {
            let q0 = q[0];
            deriv(&q, &mut k1);
            for i in 0..q.len() {
                tmp[i] = q[i] + 0.5 * dt * k1[i];
            }
            let q1 = tmp[0];
            deriv(&tmp, &mut k2);
            for i in 0..q.len() {
                tmp[i] = q[i] + 0.5 * dt * k2[i];
            }
            let q2 = tmp[0];
            deriv(&tmp, &mut k3);
            for i in 0..q.len() {
                tmp[i] = q[i] + dt * k3[i];
            }
            let q3 = tmp[0];
            deriv(&tmp, &mut k4);
            for i in 0..q.len() {
                q[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            }
            answered += cmu * dt / 6.0 * (q0 + 2.0 * q1 + 2.0 * q2 + q3);
        }
        immediate + answered
    }

    pub fn figures(&self) -> ErlangAFigures {
        let c = self.agents as usize;
        let (lambda, theta) = (self.arrival_rate, 1.0 / self.patience);
        let cmu = c as f64 / self.handle_time;
        let probs = self.stationary();
        let p = |n: usize| probs[n];

        let (mut p_wait, mut served, mut served_wait, mut queue_len) = (0.0, 0.0, 0.0, 0.0);
        for n in 0..c.min(probs.len()) {
            served += p(n);
        }
        // Walk k = callers ahead, keeping the running product and sum.
        let (mut survive, mut stage_time) = (1.0, 0.0);
        for k in 0..probs.len().saturating_sub(c) {
            let pk = p(c + k);
            let advance = cmu + k as f64 * theta;
            let rate = advance + theta;
            survive *= advance / rate;
            stage_time += 1.0 / rate;
            p_wait += pk;
            served += pk * survive;
            served_wait += pk * survive * stage_time;
            queue_len += pk * k as f64;
        }
        // Queue length seen by a random time equals the one seen at arrivals.
        let mean_wait = queue_len / lambda;
        ErlangAFigures {
            p_wait,
            abandon_rate: theta * queue_len / lambda,
            asa: served_wait / served,
            mean_wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_matches_published_tables() {
        // 10 agents, 8 Erlangs: P(wait) = 0.409 (standard table value).
        assert!((erlang_c(10, 8.0) - 0.4092).abs() < 1e-3);
        // 2 agents, 1 Erlang: C = a^2/(2!(1-ρ)) / (1 + a + a^2/(2!(1-ρ))) = 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        let q = ErlangC {
            agents: 2,
            arrival_rate: 1.0 / 180.0,
            handle_time: 180.0,
        };
        // ASA = C / (cμ - λ) = (1/3) / (1/180) = 60 s.
        assert!((q.asa() - 60.0).abs() < 1e-9);
    }

    #[test]
    fn erlang_a_approaches_erlang_c_with_endless_patience() {
        let c = ErlangC {
            agents: 20,
            arrival_rate: 18.0 / 180.0,
            handle_time: 180.0,
        };
        let a = ErlangA {
            agents: 20,
            arrival_rate: c.arrival_rate,
            handle_time: 180.0,
            patience: 1e9,
        }
        .figures();
        assert!((a.p_wait - c.p_wait()).abs() < 1e-4, "{a:?}");
        assert!(
            (a.asa - c.asa()).abs() / c.asa() < 1e-3,
            "{a:?} {}",
            c.asa()
        );
        assert!(a.abandon_rate < 1e-5);
    }

    #[test]
    fn erlang_a_service_level_approaches_erlang_c() {
        let c = ErlangC {
            agents: 20,
            arrival_rate: 18.0 / 180.0,
            handle_time: 180.0,
        };
        let a = ErlangA {
            agents: 20,
            arrival_rate: c.arrival_rate,
            handle_time: 180.0,
            patience: 1e9,
        };
        for t in [0.0, 10.0, 20.0, 60.0] {
            let (sa, sc) = (a.service_level(t), c.service_level(t));
            assert!((sa - sc).abs() < 1e-4, "t {t}: {sa} vs {sc}");
        }
    }

    #[test]
    fn erlang_a_single_agent_by_hand() {
        // c = 1, λ = μ = θ = 1: births 1, deaths 1, 2, 3, ... so p_n ∝ 1/n!
        // (n ≥ 1) and p_0 ∝ 1: p = e^-1 · (1, 1, 1/2, 1/6, ...).
        let f = ErlangA {
            agents: 1,
            arrival_rate: 1.0,
            handle_time: 1.0,
            patience: 1.0,
        }
        .figures();
        let e = std::f64::consts::E;
        assert!((f.p_wait - (1.0 - 1.0 / e)).abs() < 1e-9);
        // E[queue] = Σ (n-1) p_n = E[N] - (1 - p_0) = 1 - (1 - 1/e) = 1/e.
        assert!((f.abandon_rate - 1.0 / e).abs() < 1e-9);
    }
}
