//! Counters of call control, rendered at `/metrics` beside the SIP ones: how
//! calls arrived, were refused and ended, and how agent legs fared.

use crate::sip::metrics::counters;

counters!(
    /// Call control's counters; all monotonic.
    CallMetrics,
    "call",
    {
    invites => "New INVITEs handed to call control.",
    forbidden => "INVITEs refused with 403: neither from a trunk nor from an authenticated user.",
    challenged => "INVITEs challenged for digest credentials.",
    unrouted => "INVITEs refused with 404: the dialled number reaches no queue.",
    not_ours => "INVITEs refused with 503: their project is served by another node.",
    text_queue_refused => "SIP calls kept out of a text queue that a route, queue number, transfer or queue exit led to (404, or the exit's goodbye prompt).",
    over_limit => "INVITEs refused with 503 because calls.max_calls were in progress.",
    refused_stopping => "INVITEs refused with 503 because the server is stopping (draining its calls).",
    refused_media => "INVITEs refused for their media (488 no common codec, 503 no port).",
    answered_callers => "Callers answered into a queue or an IVR menu.",
    ivr_calls => "Callers answered into an IVR menu or a time condition.",
    blacklisted => "Calls from blacklisted callers: refused with 403, or answered with a prompt and hung up.",
    ivr_unreachable => "IVR destinations that could not be reached (a queue or voicemail box since deleted; an extension or number busy, unanswered or without a route or contact): a goodbye prompt and hang-up instead.",
    outbound_calls => "Outbound calls placed by agents through a trunk.",
    outbound_refused => "Outbound calls refused: no route takes the number, the Dial Plan permission allows none, or the trunk has no address to send to.",
    agent_invites => "INVITEs sent to agent contacts (one per contact rung).",
    agent_answers => "Agent legs answered and bridged.",
    agent_media_refused => "Offers that failed because no media leg could be opened for the agent (ports or worker exhausted).",
    agent_misses => "Offers that ended unanswered (timeout, busy, refused, unreachable).",
    queue_exits => "Callers who left a queue by DTMF.",
    redirects => "Callers sent to a queue's exit target by its timeout.",
    exit_failures => "Exit targets that failed and fell back to a prompt and hang-up.",
    callback_requests => "Callback requests stored.",
    voicemail_messages => "Voicemail messages kept (file complete and listed).",
    voicemail_discarded => "Voicemail messages not kept because they were shorter than a second.",
    voicemail_failures => "Voicemail messages lost: the file could not be written or moved, or the box was missing or its row not stored.",
    callback_attempts => "Callback offers call control rang an agent with (each may then dial the customer).",
    transfers => "Callers an agent transferred (REFER or the agent panel) and whose transfer was accepted.",
    transfers_refused => "Transfer requests refused (unknown target, target agent not free or not Transferable, malformed REFER).",
    pickups => "Queue calls a pickup group's member picked up from a colleague's ringing phone (their INVITE answered, bridged).",
    pickups_refused => "Pickup codes refused: not an agent, in no pickup group or not in the extension's, nothing ringing, the picker not free, or the call gone.",
    monitors_started => "Supervisor monitors (listen, whisper, barge) whose phone answered and joined the call.",
    monitors_failed => "Supervisor monitors whose phone refused, could not be reached or did not answer in time, or whose call left its agent while the phone rang.",
    media_timeouts => "Calls ended because their media went silent.",
    ack_timeouts => "Calls ended because the caller never acknowledged the answer.",
    records_completed => "Interaction records completed.",
    record_failures => "Interaction record writes that failed.",
    ended => "Calls ended, whatever the reason.",
    agent_events_dropped => "Agent history events (log-ins, presence, offers) dropped because the history writer was too far behind.",
    agent_event_write_failures => "Batches of agent history events the database refused.",
    dispatch_failures => "Panics of the dispatch task.",
    dispatch_restarts => "Dispatch tasks rebuilt after a panic, from the stored configuration and the live calls.",
    }
);

impl super::Registry {
    /// Appends the gauges of live calls in the Prometheus text format: the
    /// call tasks and every per-call table beside them, each of which falls
    /// back to zero once the calls have ended.
    pub fn render_gauges(&self, out: &mut String) {
        use super::lock;
        use crate::sip::metrics::gauge;
        for (name, help, value) in [
            (
                "calls",
                "Call records with a live call task (a transferred call counts under both records during after-call work).",
                lock(&self.calls).len(),
            ),
            ("call_media_legs", "Media legs routed to a call task.", lock(&self.legs).len()),
            ("call_callers", "Callers' numbers held for live calls.", lock(&self.callers).len()),
            (
                "call_consultations",
                "Internal consultation calls an attended transfer may name.",
                lock(&self.consultations).len(),
            ),
            (
                "call_agent_workers",
                "Connected agents with the media worker of their caller.",
                lock(&self.agent_workers).len(),
            ),
            ("call_monitors", "Monitors held for live calls.", lock(&self.monitors).len()),
        ] {
            gauge(out, name, help, value as u64);
        }
    }
}
