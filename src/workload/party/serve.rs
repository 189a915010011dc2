//! An agent's side of a driven rep: orders in on stdin, answers out on stdout, one JSON
//! object per line, until `end`.

use std::io::{BufRead, Write};

use super::clock::{boot_id, now_ns};
use super::{Answer, Changer, Checker, Order, Window};
use crate::error::{Error, Result};

/// The part this agent plays.
pub enum Party {
    Changer(Box<dyn Changer>),
    Checker(Box<dyn Checker>),
}

/// Answer orders until `end` (Ok) or the first failure, which is also answered (Err).
pub fn serve(mut party: Party, input: impl BufRead, mut output: impl Write) -> Result<()> {
    let boot = boot_id();
    for line in input.lines() {
        let line = line.map_err(|e| Error::Protocol(format!("reading orders: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = serde_json::from_str::<Order>(&line)
            .map_err(|e| Error::Protocol(format!("unreadable order ({e}): {line}")))
            .and_then(|order| obey(&mut party, order, &boot));
        let (answer, outcome) = match answer {
            Ok(a) => (a, Ok(())),
            Err(e) => (
                Answer::Failed {
                    message: e.to_string(),
                },
                Err(e),
            ),
        };
        let ended = answer == Answer::Ended;
        let text = serde_json::to_string(&answer).expect("answers serialize");
        writeln!(output, "{text}")
            .and_then(|()| output.flush())
            .map_err(|e| Error::Protocol(format!("writing answers: {e}")))?;
        if ended || outcome.is_err() {
            return outcome;
        }
    }
    if let Party::Changer(changer) = &mut party {
        changer.clean()?;
    }
    Err(Error::Protocol("the orders ended before `end`".into()))
}

fn obey(party: &mut Party, order: Order, boot: &str) -> Result<Answer> {
    match (order, party) {
        (Order::Clock, _) => Ok(Answer::Clock {
            now_ns: now_ns(),
            boot_id: boot.to_string(),
        }),
        (Order::End, Party::Changer(changer)) => changer.clean().map(|()| Answer::Ended),
        (Order::End, Party::Checker(_)) => Ok(Answer::Ended),
        (Order::Make { change }, Party::Changer(changer)) => {
            let prepared = changer.change(change);
            let start_ns = now_ns();
            prepared.make()?;
            Ok(Answer::Made {
                change,
                start_ns,
                end_ns: now_ns(),
            })
        }
        (Order::Arm { change }, Party::Checker(checker)) => {
            checker.arm(change).map(|()| Answer::Armed { change })
        }
        (
            Order::Judge {
                change,
                start_ns,
                end_ns,
                slack_ns,
            },
            Party::Checker(checker),
        ) => {
            let window = Window {
                start_ns,
                end_ns,
                slack_ns,
            };
            let outcome = checker.judge(change, window)?;
            Ok(Answer::Judged { change, outcome })
        }
        (order, _) => Err(Error::Protocol(format!("{order:?} is not for this party"))),
    }
}
