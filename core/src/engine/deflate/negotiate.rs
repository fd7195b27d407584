//! The permessage-deflate handshake (RFC 7692 §5, §7.1): the server picks the first offer
//! it can honour and answers with its parameters; the client checks that answer.
use super::EXTENSION;

/// What both ends agreed on for one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Agreement {
    /// The server resets its compressor after each message.
    pub(crate) server_no_context_takeover: bool,
    /// The client resets its compressor after each message.
    pub(crate) client_no_context_takeover: bool,
    /// `server_max_window_bits=15` was offered: the answer must repeat it.
    pub(crate) server_max_window_bits: bool,
}

impl Agreement {
    /// The server's `Sec-WebSocket-Extensions` answer.
    pub(crate) fn response(&self) -> String {
        let mut out = String::from(EXTENSION);
        if self.server_no_context_takeover {
            out.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            out.push_str("; client_no_context_takeover");
        }
        if self.server_max_window_bits {
            out.push_str("; server_max_window_bits=15");
        }
        out
    }
}

/// The offer the client sends. No `client_max_window_bits`: without it the server may not
/// ask for a window smaller than the 15 bits our compressor uses.
pub(crate) const CLIENT_OFFER: &str = EXTENSION;

/// The parameters of one extension element (`name; a; b=1`), or `None` for another
/// extension.
fn params_of(element: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut parts = element.split(';').map(str::trim);
    if !parts.next()?.eq_ignore_ascii_case(EXTENSION) {
        return None;
    }
    Some(
        parts
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim().trim_matches('"').to_owned())),
                None => (p.to_ascii_lowercase(), None),
            })
            .collect(),
    )
}

fn window_bits(v: &str) -> Option<u8> {
    let bits: u8 = v.parse().ok()?;
    (8..=15).contains(&bits).then_some(bits)
}

/// The server's side: the first of the client's offers (in `Sec-WebSocket-Extensions`
/// values, in order) it can honour.
pub(crate) fn accept_offer<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<Agreement> {
    headers.into_iter().flat_map(|h| h.split(',')).filter_map(params_of).find_map(|params| accept_params(&params))
}

fn accept_params(params: &[(String, Option<String>)]) -> Option<Agreement> {
    let mut agreed = Agreement::default();
    let mut seen = Vec::new();
    for (name, value) in params {
        if seen.contains(&name.as_str()) {
            return None; // a parameter twice makes the offer invalid
        }
        seen.push(name);
        match (name.as_str(), value.as_deref()) {
            ("server_no_context_takeover", None) => agreed.server_no_context_takeover = true,
            ("client_no_context_takeover", None) => agreed.client_no_context_takeover = true,
            // We can only compress with 15 bits: a smaller limit declines this offer.
            ("server_max_window_bits", Some(v)) => match window_bits(v) {
                Some(15) => agreed.server_max_window_bits = true,
                _ => return None,
            },
            // The client may limit its own window: any window inflates.
            ("client_max_window_bits", None) => {}
            ("client_max_window_bits", Some(v)) if window_bits(v).is_some() => {}
            _ => return None,
        }
    }
    Some(agreed)
}

/// The client's side: the server's answer to [`CLIENT_OFFER`]; `Ok(None)` when it declined
/// the extension, an error when it answered with something we did not offer.
pub(crate) fn read_response<'a>(headers: impl IntoIterator<Item = &'a str>) -> Result<Option<Agreement>, String> {
    let mut found = None;
    for element in headers.into_iter().flat_map(|h| h.split(',')).filter(|e| !e.trim().is_empty()) {
        let Some(params) = params_of(element) else {
            return Err(format!("unexpected extension {:?}", element.trim()));
        };
        if found.is_some() {
            return Err("permessage-deflate accepted twice".into());
        }
        let mut agreed = Agreement::default();
        for (name, value) in &params {
            match (name.as_str(), value.as_deref()) {
                ("server_no_context_takeover", None) => agreed.server_no_context_takeover = true,
                ("client_no_context_takeover", None) => agreed.client_no_context_takeover = true,
                ("server_max_window_bits", Some(v)) if window_bits(v).is_some() => {}
                ("client_max_window_bits", Some("15")) => {}
                _ => return Err(format!("unsupported permessage-deflate parameter {name:?}")),
            }
        }
        found = Some(agreed);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_accepts_what_browsers_and_ws_offer() {
        let a = accept_offer(["permessage-deflate; client_max_window_bits"]).expect("accepted");
        assert_eq!(a.response(), "permessage-deflate");
        let a = accept_offer(["permessage-deflate; server_no_context_takeover; client_no_context_takeover"])
            .expect("accepted");
        assert_eq!(a.response(), "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    }

    #[test]
    fn server_declines_smaller_server_windows_and_takes_the_next_offer() {
        assert_eq!(accept_offer(["permessage-deflate; server_max_window_bits=10"]), None);
        let a = accept_offer(["permessage-deflate; server_max_window_bits=10, permessage-deflate"]).expect("second");
        assert_eq!(a.response(), "permessage-deflate");
        let a = accept_offer(["x-webkit-deflate-frame", "permessage-deflate; server_max_window_bits=15"]).expect("ok");
        assert_eq!(a.response(), "permessage-deflate; server_max_window_bits=15");
        assert_eq!(accept_offer(["permessage-deflate; unknown"]), None);
        assert_eq!(accept_offer(["permessage-deflate; server_no_context_takeover; server_no_context_takeover"]), None);
        assert_eq!(accept_offer(["permessage-deflate; client_max_window_bits=99"]), None);
        assert_eq!(accept_offer([""]), None);
    }

    #[test]
    fn client_reads_the_answer() {
        assert_eq!(read_response([]), Ok(None));
        assert_eq!(read_response(["permessage-deflate"]), Ok(Some(Agreement::default())));
        let a = read_response(["permessage-deflate; server_no_context_takeover; server_max_window_bits=10"])
            .expect("valid")
            .expect("agreed");
        assert!(a.server_no_context_takeover && !a.client_no_context_takeover);
        assert!(read_response(["permessage-deflate; client_max_window_bits=9"]).is_err());
        assert!(read_response(["foo"]).is_err());
    }
}
