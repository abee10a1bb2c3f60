//! Browser legs (WebRTC): one UDP port for every browser leg, served by one hub
//! thread that owns the socket and the legs' str0m state (sans-IO: ICE-lite,
//! DTLS-SRTP, rtcp-mux, BUNDLE), and demultiplexes datagrams by ICE username
//! (RFC 8445 section 7.2.2: the first part of a request's USERNAME is ours) and
//! then by the address the checks came from.
//!
//! A browser leg is bridged to an ordinary leg on a media worker through a stand-in
//! there ([`super::worker::Command::AddExternal`]): the worker rewrites what it
//! relays into the browser leg's own RTP stream and hands it to the hub to
//! encrypt; the hub hands what it decrypted to the worker, which relays it like a
//! packet from any other leg. A panic inside one leg's state is caught: that leg is
//! dropped and its call told ([`super::worker::MediaEvent::Lost`]), and the other
//! legs go on.

mod hub;
mod leg;
mod stun;

pub use hub::{HubError, HubReport, Opened, WebRtcHub};
pub use leg::{BrowserLeg, Keys, OfferError, Step};
pub use stun::local_ufrag;
