//! SIP messages (filled by the message-layer work).
