//! The media engine: everything that moves audio between Switchboard and its callers
//! and agents, independent of call control (`call` joins it to `sip` and `acd`).
//!
//! The pure parts are sans-IO and tested alone: RTP/RTCP packets and statistics
//! (RFC 3550), G.711 (ITU-T G.711), SDP offer/answer (RFC 3264, RFC 8866), DTMF
//! (RFC 4733, SIP INFO bodies, in-band Goertzel), decoded-once media sources and
//! prompt sequences, and playback positions. The socket shells — the pacing clock
//! that sends every playing leg's frame each 20 ms in batches, and the bridge that
//! relays packets between two legs — are small and own no per-caller task or timer.
//! A monitored call (a supervisor listening, whispering or barging in) is the one
//! place audio is decoded and mixed ([`mixer`]), on the same pacing clock.

pub mod bridge;
pub mod clock;
pub mod dtmf;
pub mod engine;
mod figures;
pub mod g711;
pub mod goertzel;
pub mod latch;
pub mod leg;
pub mod library;
pub mod mixer;
pub mod net;
pub mod player;
pub mod ports;
pub mod prompts;
mod readiness;
pub mod recorder;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod source;
pub mod srtp;
pub mod stats;
pub mod webrtc;
pub mod worker;
