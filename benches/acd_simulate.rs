//! The traffic simulator as a command: reads scenario files (TOML, see
//! `switchboard::acd::sim::Scenario`) and prints what the engine achieved next
//! to what Erlang C (and Erlang A, with patience) predicts.
//!
//! Run through `tools/simulate-acd SCENARIO.toml...`; it lives among the
//! benchmarks only so that it is built in release mode without a binary of
//! its own.

use anyhow::Context;
use switchboard::acd::sim::{self, Scenario};

fn main() -> anyhow::Result<()> {
    let files: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if files.is_empty() {
        anyhow::bail!("usage: tools/simulate-acd SCENARIO.toml...");
    }
    for file in files {
        let text = std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
        let scenario: Scenario =
            toml::from_str(&text).with_context(|| format!("parsing {file}"))?;
        let report = sim::run(&scenario);
        let c = scenario.erlang_c();
        println!(
            "{file}: {} agents, {} calls/h, handle {} s, load {:.1}%",
            scenario.agents,
            scenario.calls_per_hour,
            scenario.handle_time_secs,
            100.0 * scenario.load()
        );
        println!("  callers measured      {:>10}", report.calls);
        println!(
            "  service level ({:>3}s)  {:>9.2}%",
            scenario.service_level_secs,
            100.0 * report.service_level
        );
        println!("  average speed answer  {:>9.2}s", report.asa);
        println!("  waited at all         {:>9.2}%", 100.0 * report.p_wait);
        println!(
            "  abandon rate          {:>9.2}%",
            100.0 * report.abandon_rate
        );
        println!("  occupancy             {:>9.2}%", 100.0 * report.occupancy);
        println!(
            "  estimated wait told   {:>9.2}s (mean wait {:.2}s)",
            report.mean_estimate, report.mean_wait
        );
        match scenario.erlang_a() {
            None if scenario.load() < 1.0 => {
                println!(
                    "  Erlang C: service level {:.2}%, ASA {:.2}s, waited {:.2}%",
                    100.0 * c.service_level(scenario.service_level_secs),
                    c.asa(),
                    100.0 * c.p_wait()
                );
            }
            None => println!("  Erlang C: overloaded (load at or over 100%), no steady state"),
            Some(a) => {
                let f = a.figures();
                println!(
                    "  Erlang A: service level {:.2}%, abandon {:.2}%, ASA {:.2}s, waited {:.2}%",
                    100.0 * a.service_level(scenario.service_level_secs),
                    100.0 * f.abandon_rate,
                    f.asa,
                    100.0 * f.p_wait
                );
            }
        }
        println!("  engine inputs         {:>10}", report.engine_events);
    }
    Ok(())
}
