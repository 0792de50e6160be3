//! Hangup causes, named as FreeSWITCH names them (the CDR's `hangup_cause`),
//! and their mapping to and from SIP status codes (RFC 3398-style).

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HangupCause {
    NormalClearing,
    OriginatorCancel,
    NoAnswer,
    UserBusy,
    UnallocatedNumber,
    CallRejected,
    NoUserResponse,
    /// The callee has no registered device.
    UserNotRegistered,
    NormalTemporaryFailure,
    /// No RTP from a leg for the configured time.
    MediaTimeout,
    RecoveryOnTimerExpire,
    SystemShutdown,
    /// Hung up through the API.
    ManagerRequest,
    InvalidNumberFormat,
    IncompatibleDestination,
    ServiceUnavailable,
}

impl HangupCause {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NormalClearing => "NORMAL_CLEARING",
            Self::OriginatorCancel => "ORIGINATOR_CANCEL",
            Self::NoAnswer => "NO_ANSWER",
            Self::UserBusy => "USER_BUSY",
            Self::UnallocatedNumber => "UNALLOCATED_NUMBER",
            Self::CallRejected => "CALL_REJECTED",
            Self::NoUserResponse => "NO_USER_RESPONSE",
            Self::UserNotRegistered => "USER_NOT_REGISTERED",
            Self::NormalTemporaryFailure => "NORMAL_TEMPORARY_FAILURE",
            Self::MediaTimeout => "MEDIA_TIMEOUT",
            Self::RecoveryOnTimerExpire => "RECOVERY_ON_TIMER_EXPIRE",
            Self::SystemShutdown => "SYSTEM_SHUTDOWN",
            Self::ManagerRequest => "MANAGER_REQUEST",
            Self::InvalidNumberFormat => "INVALID_NUMBER_FORMAT",
            Self::IncompatibleDestination => "INCOMPATIBLE_DESTINATION",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
        }
    }

    /// The cause for a final failure response from the callee.
    pub fn from_status(status: u16) -> Self {
        match status {
            404 | 604 => Self::UnallocatedNumber,
            486 | 600 => Self::UserBusy,
            408 => Self::RecoveryOnTimerExpire,
            480 => Self::NoUserResponse,
            484 => Self::InvalidNumberFormat,
            487 => Self::OriginatorCancel,
            488 | 606 => Self::IncompatibleDestination,
            403 | 603 => Self::CallRejected,
            503 => Self::ServiceUnavailable,
            _ => Self::NormalTemporaryFailure,
        }
    }

    /// The status the caller is told, and its reason phrase.
    pub fn status(self) -> (u16, &'static str) {
        match self {
            Self::UnallocatedNumber => (404, "Not Found"),
            Self::UserBusy => (486, "Busy Here"),
            Self::NoAnswer => (480, "Temporarily Unavailable"),
            Self::NoUserResponse | Self::UserNotRegistered => (480, "Temporarily Unavailable"),
            Self::RecoveryOnTimerExpire => (408, "Request Timeout"),
            Self::OriginatorCancel => (487, "Request Terminated"),
            Self::CallRejected => (603, "Decline"),
            Self::InvalidNumberFormat => (484, "Address Incomplete"),
            Self::IncompatibleDestination => (488, "Not Acceptable Here"),
            Self::ServiceUnavailable | Self::SystemShutdown => (503, "Service Unavailable"),
            Self::ManagerRequest => (487, "Request Terminated"),
            Self::NormalClearing | Self::NormalTemporaryFailure | Self::MediaTimeout => (500, "Server Internal Error"),
        }
    }
}

impl std::fmt::Display for HangupCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which of several final failures from forks to relay (RFC 3261 §16.7
/// step 6, simplified): a 6xx wins, then busy, then the lowest class.
pub fn best_failure(statuses: &[u16]) -> Option<u16> {
    if let Some(s) = statuses.iter().find(|s| **s >= 600) {
        return Some(*s);
    }
    if statuses.contains(&486) {
        return Some(486);
    }
    statuses.iter().copied().min_by_key(|s| (s / 100, *s == 408 || *s == 503, *s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_wins_over_unavailable_and_6xx_over_all() {
        assert_eq!(best_failure(&[480, 486]), Some(486));
        assert_eq!(best_failure(&[486, 603]), Some(603));
        assert_eq!(best_failure(&[503, 404]), Some(404));
        assert_eq!(best_failure(&[]), None);
        assert_eq!(HangupCause::from_status(486).as_str(), "USER_BUSY");
        assert_eq!(HangupCause::NoAnswer.status().0, 480);
    }
}
