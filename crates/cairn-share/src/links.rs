//! Links that hand a badge to another site: LinkedIn's "Add to profile" (a certification with
//! the badge's page as its URL and the share id as its credential id) and the share intents of
//! X and LinkedIn (which read the page's Open Graph tags).

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::{Badge, Issuer, Urls};

fn enc(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// `https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&…`.
pub fn add_to_profile(badge: &Badge, issuer: &Issuer, urls: &Urls) -> String {
    let (year, month) = year_month(&badge.achieved_at);
    format!(
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name={}&organizationName={}&issueYear={year}&issueMonth={month}&certUrl={}&certId={}",
        enc(&badge.title),
        enc(&issuer.name),
        enc(&urls.page),
        enc(&badge.share_id),
    )
}

/// X's post intent with `text` and the page.
pub fn x_intent(text: &str, page: &str) -> String {
    format!(
        "https://x.com/intent/post?text={}&url={}",
        enc(text),
        enc(page)
    )
}

/// LinkedIn's share dialog for the page.
pub fn linkedin_share(page: &str) -> String {
    format!(
        "https://www.linkedin.com/sharing/share-offsite/?url={}",
        enc(page)
    )
}

/// Year and month (1–12) of an RFC 3339 time; `0`s when it does not start with a date.
fn year_month(time: &str) -> (u32, u32) {
    let mut parts = time.split('-');
    let year = parts.next().and_then(|y| y.parse().ok()).unwrap_or(0);
    let month = parts
        .next()
        .and_then(|m| m.get(..2))
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    (year, month)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(year_month("2026-03-05T10:00:00Z"), (2026, 3));
        assert_eq!(year_month("nonsense"), (0, 0));
    }
}
