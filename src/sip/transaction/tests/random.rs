//! Random event sequences: whatever arrives in whatever order, the layer
//! never panics, never holds more than its limit, and once the TU has answered
//! every request and time runs on, every transaction ends.
