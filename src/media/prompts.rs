//! Prompt sequences spoken from fragments: queue position and estimated wait for any
//! number, the callback offer, "thank you for holding" and the auto-answer beep.
//!
//! The fragments are the WAVs `tools/gen-prompts` makes under `media/prompts/{lang}/`
//! (`num-0`..`num-19`, `num-20`..`num-90` by tens, `num-hundred`, `num-thousand`,
//! `num-million`, and the sentences). [`Prompt::fragments`] is pure and spells the
//! sequence; [`resolve`] finds the decoded sources in a [`MediaLibrary`].

use std::sync::Arc;

use super::source::{MediaLibrary, MediaSource};

/// An announcement the queue may play to a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// "You are currently in position {n}".
    Position(u64),
    /// "The estimated wait is about {n} minute(s)"; 0 is said as 1.
    EstimatedWait { minutes: u64 },
    /// "To be called back instead of waiting, press 1."
    PressOneForCallback,
    /// "Thank you for holding. An agent will be with you shortly."
    ThankYouForHolding,
    /// The auto-answer beep.
    Beep,
    /// "Thank you for calling. Goodbye." before the server hangs up.
    Goodbye,
    /// "Thank you. We will call you back as soon as an agent is available. Goodbye."
    CallbackRegistered,
    /// "Please leave a message after the tone." (a voicemail box's built-in greeting)
    VoicemailGreeting,
    /// "Thank you, your message has been saved. Goodbye."
    VoicemailSaved,
}

/// Fragment names that say `n` in English ("one hundred twenty three").
pub fn number_words(n: u64) -> Vec<String> {
    let mut out = Vec::new();
    say(n, &mut out);
    out
}

fn say(n: u64, out: &mut Vec<String>) {
    const SCALES: [(u64, &str); 3] = [
        (1_000_000, "million"),
        (1_000, "thousand"),
        (100, "hundred"),
    ];
    for (scale, word) in SCALES {
        if n >= scale {
            say(n / scale, out);
            out.push(format!("num-{word}"));
            if !n.is_multiple_of(scale) {
                say(n % scale, out);
            }
            return;
        }
    }
    if n >= 20 {
        out.push(format!("num-{}", n / 10 * 10));
        if !n.is_multiple_of(10) {
            out.push(format!("num-{}", n % 10));
        }
    } else {
        out.push(format!("num-{n}"));
    }
}

impl Prompt {
    /// The fragment names, in order.
    pub fn fragments(&self) -> Vec<String> {
        match *self {
            Prompt::Position(n) => {
                let mut v = vec!["you-are-currently-in-position".to_owned()];
                v.extend(number_words(n));
                v
            }
            Prompt::EstimatedWait { minutes } => {
                let m = minutes.max(1);
                let mut v = vec!["estimated-wait-about".to_owned()];
                v.extend(number_words(m));
                v.push(if m == 1 { "minute" } else { "minutes" }.to_owned());
                v
            }
            Prompt::PressOneForCallback => vec!["press-1-callback".to_owned()],
            Prompt::ThankYouForHolding => vec!["thank-you-for-holding".to_owned()],
            Prompt::Beep => vec!["beep".to_owned()],
            Prompt::Goodbye => vec!["goodbye".to_owned()],
            Prompt::CallbackRegistered => vec!["callback-registered".to_owned()],
            Prompt::VoicemailGreeting => vec!["voicemail-greeting".to_owned()],
            Prompt::VoicemailSaved => vec!["voicemail-saved".to_owned()],
        }
    }
}

/// A fragment the media folder lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("prompt fragment {0} is not in the media folder")]
pub struct MissingFragment(pub String);

/// The decoded sources for `prompts` in language `lang`, in order.
pub fn resolve(
    lib: &MediaLibrary,
    lang: &str,
    prompts: &[Prompt],
) -> Result<Vec<Arc<MediaSource>>, MissingFragment> {
    prompts
        .iter()
        .flat_map(|p| p.fragments())
        .map(|f| {
            let name = format!("prompts/{lang}/{f}");
            lib.get(&name).cloned().ok_or(MissingFragment(name))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spoken(n: u64) -> String {
        number_words(n)
            .iter()
            .map(|w| w.trim_start_matches("num-"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn numbers_of_any_size() {
        assert_eq!(spoken(0), "0");
        assert_eq!(spoken(7), "7");
        assert_eq!(spoken(19), "19");
        assert_eq!(spoken(20), "20");
        assert_eq!(spoken(42), "40 2");
        assert_eq!(spoken(100), "1 hundred");
        assert_eq!(spoken(215), "2 hundred 15");
        assert_eq!(spoken(1_001), "1 thousand 1");
        assert_eq!(spoken(12_345), "12 thousand 3 hundred 40 5");
        assert_eq!(spoken(2_000_070), "2 million 70");
        // No "billion" fragment: larger numbers nest millions ("18 million 446 thousand ... million").
        assert_eq!(
            spoken(u64::MAX)
                .split(' ')
                .filter(|w| *w == "million")
                .count(),
            3
        );
    }

    #[test]
    fn every_fragment_of_every_prompt_exists_in_the_media_folder() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("media");
        let (lib, _) = MediaLibrary::load_dir(&dir);
        let mut all = vec![
            Prompt::PressOneForCallback,
            Prompt::ThankYouForHolding,
            Prompt::Beep,
            Prompt::VoicemailGreeting,
            Prompt::VoicemailSaved,
        ];
        for n in (0..=1000).chain([12_345, 1_000_000, 987_654_321]) {
            all.push(Prompt::Position(n));
            all.push(Prompt::EstimatedWait { minutes: n });
        }
        let seq = resolve(&lib, "en", &all).unwrap();
        assert!(seq.len() > all.len());
        let wait = resolve(&lib, "en", &[Prompt::EstimatedWait { minutes: 1 }]).unwrap();
        let names: Vec<_> = wait.iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            [
                "prompts/en/estimated-wait-about",
                "prompts/en/num-1",
                "prompts/en/minute"
            ]
        );
        assert_eq!(
            resolve(&lib, "fr", &[Prompt::Beep]).unwrap_err(),
            MissingFragment("prompts/fr/beep".into())
        );
    }
}
