//! mountbench's side of a driven rep: the clocks' offset, then each change in lock step.

use std::time::{Duration, Instant};

use super::clock::{boot_id, now_ns};
use super::{Answer, Driven, Line, Order, Outcome};
use crate::error::{Error, Result};
use crate::measure::{Op, OpHistograms};
use crate::metric::Metric;
use crate::workload::rep::{Measured, MetricResult};

/// How long an agent may take to answer anything but a judgment.
const ANSWER: Duration = Duration::from_secs(60);
/// Clock readings taken to estimate the offset of a side on another kernel.
const PINGS: usize = 16;

/// What a driven rep found.
#[derive(Debug, Clone, PartialEq)]
pub struct Conducted {
    /// One per change, in order.
    pub outcomes: Vec<Outcome>,
    pub seconds: f64,
    /// How far the two sides' clocks may be off after the offset was taken out (0: one
    /// kernel's clock).
    pub slack_ns: u64,
}

impl Conducted {
    /// The rep's figures: changes seen (their latencies under the first metric's op), seen
    /// stale, and lost, each as the kind names them in `metrics`.
    pub fn measured(&self, metrics: &[Metric]) -> Measured {
        let op = metrics.first().map_or(Metric::Seen, |m| *m).main_op();
        let mut histograms = OpHistograms::with_ops(&[op, Op::ClockSlack]);
        histograms.record(Op::ClockSlack, self.slack_ns);
        let (mut seen, mut stale, mut lost) = (0, 0, 0);
        for outcome in &self.outcomes {
            match *outcome {
                Outcome::Seen {
                    latency_ns,
                    stale: s,
                } => {
                    histograms.record(op, latency_ns);
                    seen += 1;
                    stale += u64::from(s);
                }
                Outcome::Lost => lost += 1,
            }
        }
        let count = |m: Metric| match m {
            Metric::Stale => stale,
            Metric::Lost | Metric::Missed => lost,
            _ => seen,
        };
        Measured {
            metrics: metrics
                .iter()
                .map(|&m| MetricResult::of(m, 0, count(m), self.seconds))
                .collect(),
            histograms,
            residency: None,
            observations: Vec::new(),
        }
    }
}

/// Conduct `d`'s changes between the two agents, then end both.
pub fn conduct(
    d: &dyn Driven,
    changer: &mut dyn Line,
    checker: &mut dyn Line,
) -> Result<Conducted> {
    let started = Instant::now();
    let ours = boot_id();
    let made = Clock::sync(changer, &ours, "changer")?;
    let seen = Clock::sync(checker, &ours, "checker")?;
    let (made, seen) = Clock::shared(made, seen);
    let slack_ns = made.error_ns + seen.error_ns;
    let mut outcomes = Vec::with_capacity(d.changes() as usize);
    let burst = d.burst().max(1);
    for first in (0..d.changes()).step_by(burst as usize) {
        let group = first..d.changes().min(first.saturating_add(burst));
        for change in group.clone() {
            match ask(checker, &Order::Arm { change }, ANSWER, "checker")? {
                Answer::Armed { change: c } if c == change => {}
                other => return Err(unexpected("checker", &other)),
            }
        }
        for (change, (start, end)) in group.clone().zip(make(changer, group)?) {
            let judge = Order::Judge {
                change,
                start_ns: seen.to_side(made.to_ours(start)),
                end_ns: seen.to_side(made.to_ours(end)),
                slack_ns,
            };
            match ask(checker, &judge, d.limit() + ANSWER, "checker")? {
                Answer::Judged { change: c, outcome } if c == change => outcomes.push(outcome),
                other => return Err(unexpected("checker", &other)),
            }
        }
    }
    end(changer, "changer")?;
    end(checker, "checker")?;
    Ok(Conducted {
        outcomes,
        seconds: started.elapsed().as_secs_f64(),
        slack_ns,
    })
}

/// Have the changer make `changes` back to back: every order is sent before any answer is
/// read, so no round trip sits between two changes. Each change's (start, end).
fn make(changer: &mut dyn Line, changes: std::ops::Range<u32>) -> Result<Vec<(u64, u64)>> {
    for change in changes.clone() {
        send(changer, &Order::Make { change }, "changer")?;
    }
    changes
        .map(|change| match answer(changer, ANSWER, "changer")? {
            Answer::Made {
                change: c,
                start_ns,
                end_ns,
            } if c == change => Ok((start_ns, end_ns)),
            other => Err(unexpected("changer", &other)),
        })
        .collect()
}

fn end(line: &mut dyn Line, who: &str) -> Result<()> {
    match ask(line, &Order::End, ANSWER, who)? {
        Answer::Ended => Ok(()),
        other => Err(unexpected(who, &other)),
    }
}

/// Send `order`, read the answer; an agent's own failure is an error naming the side.
fn ask(line: &mut dyn Line, order: &Order, within: Duration, who: &str) -> Result<Answer> {
    send(line, order, who)?;
    answer(line, within, who)
}

fn send(line: &mut dyn Line, order: &Order, who: &str) -> Result<()> {
    let text = serde_json::to_string(order).expect("orders serialize");
    line.send_line(&text)
        .map_err(|e| Error::Agent(format!("{who}: {e}")))
}

/// The next answer; an agent's own failure is an error naming the side.
fn answer(line: &mut dyn Line, within: Duration, who: &str) -> Result<Answer> {
    let answer = line
        .recv_line(within)
        .map_err(|e| Error::Agent(format!("{who}: {e}")))?;
    match serde_json::from_str::<Answer>(&answer) {
        Ok(Answer::Failed { message }) => Err(Error::Agent(format!("{who}: {message}"))),
        Ok(answer) => Ok(answer),
        Err(e) => Err(Error::Protocol(format!(
            "{who}: unreadable answer ({e}): {}",
            answer.chars().take(200).collect::<String>()
        ))),
    }
}

fn unexpected(who: &str, answer: &Answer) -> Error {
    Error::Protocol(format!("{who}: unexpected answer {answer:?}"))
}

/// A side's clock against ours: its reading minus ours, how far off that may be, and the
/// side's kernel (its boot id; empty where it has none).
#[derive(Debug, Clone, PartialEq)]
struct Clock {
    offset_ns: i128,
    error_ns: u64,
    kernel: String,
}

impl Clock {
    /// On our kernel the offset is 0 exactly; elsewhere the reading with the shortest round
    /// trip, assumed taken half way through it (NTP's estimate), within half that trip.
    fn sync(line: &mut dyn Line, ours: &str, who: &str) -> Result<Clock> {
        let mut best: Option<(u64, i128)> = None;
        let mut kernel = String::new();
        for _ in 0..PINGS {
            let before = now_ns();
            let (now, theirs) = match ask(line, &Order::Clock, ANSWER, who)? {
                Answer::Clock { now_ns, boot_id } => (now_ns, boot_id),
                other => return Err(unexpected(who, &other)),
            };
            let after = now_ns();
            if !ours.is_empty() && theirs == ours {
                return Ok(Clock::exact(theirs));
            }
            kernel = theirs;
            let trip = after.saturating_sub(before);
            let offset = now as i128 - (before as i128 + after as i128) / 2;
            if best.map_or(true, |(t, _)| trip < t) {
                best = Some((trip, offset));
            }
        }
        let (trip, offset_ns) = best.expect("PINGS > 0");
        Ok(Clock {
            offset_ns,
            error_ns: trip / 2,
            kernel,
        })
    }

    /// A clock read on the same kernel as ours: no offset, no error.
    fn exact(kernel: String) -> Clock {
        Clock {
            offset_ns: 0,
            error_ns: 0,
            kernel,
        }
    }

    /// Two sides on one kernel that is not ours (a VM's containers) read one clock: their
    /// stamps compare as they are, with none of the two estimates' error.
    fn shared(made: Clock, seen: Clock) -> (Clock, Clock) {
        if made.kernel.is_empty() || made.kernel != seen.kernel {
            return (made, seen);
        }
        (Clock::exact(made.kernel), Clock::exact(seen.kernel))
    }

    fn to_ours(&self, t: u64) -> u64 {
        (t as i128 - self.offset_ns).max(0) as u64
    }

    fn to_side(&self, t: u64) -> u64 {
        (t as i128 + self.offset_ns).max(0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimated(offset_ns: i128, kernel: &str) -> Clock {
        Clock {
            offset_ns,
            error_ns: 1_500,
            kernel: kernel.into(),
        }
    }

    #[test]
    fn two_sides_on_one_other_kernel_share_its_clock() {
        let exact = |k: &str| Clock::exact(k.into());
        let cases = [
            (estimated(7, "vm"), estimated(9, "vm"), (0, 0)),
            (estimated(7, "vm"), estimated(9, "mac"), (1_500, 1_500)),
            (estimated(7, ""), estimated(9, ""), (1_500, 1_500)),
            (exact("host"), estimated(9, "vm"), (0, 1_500)),
            (exact("host"), exact("host"), (0, 0)),
        ];
        for (made, seen, want) in cases {
            let (m, s) = Clock::shared(made.clone(), seen.clone());
            assert_eq!((m.error_ns, s.error_ns), want, "{made:?} {seen:?}");
            if want == (0, 0) {
                assert_eq!(s.to_side(m.to_ours(123_456)), 123_456);
            }
        }
    }
}
