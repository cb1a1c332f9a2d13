//! `translatedDescription`: the error's description in the language the
//! client asked for with `Accept-Language`, when wagate has that language
//! (English, Swedish, Norwegian, Danish, German); otherwise `null`. Field
//! paths stay as they are: they name JSON fields.

use wagate_domain::{Rule, Violation};

use super::error::LinkError;
use crate::api::protocol::ProtocolError;

tokio::task_local! {
    /// The negotiated language of the request being answered.
    pub static REQUEST_LANGUAGE: Option<Language>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    Swedish,
    Norwegian,
    Danish,
    German,
}

impl Language {
    fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        match primary.as_str() {
            "en" | "*" => Some(Self::English),
            "sv" => Some(Self::Swedish),
            "nb" | "nn" | "no" => Some(Self::Norwegian),
            "da" => Some(Self::Danish),
            "de" => Some(Self::German),
            _ => None,
        }
    }

    /// The supported language the client prefers most (RFC 9110 weights).
    pub fn negotiate(header: &str) -> Option<Self> {
        let mut ranked: Vec<(f32, Self)> = header
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(';');
                let language = Self::from_tag(parts.next()?)?;
                let weight = parts
                    .find_map(|param| param.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (weight > 0.0).then_some((weight, language))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map(|(_, language)| *language)
    }
}

/// The error in the current request's language, if it has one wagate speaks.
pub fn translate_current(error: &LinkError) -> Option<String> {
    let language = REQUEST_LANGUAGE
        .try_with(|language| *language)
        .ok()
        .flatten()?;
    Some(translate(error, language))
}

pub fn translate(error: &LinkError, language: Language) -> String {
    use Language::*;
    match (error, language) {
        (_, English) => error.to_string(),
        (LinkError::Invalid(violation) | LinkError::File(violation), _) => {
            translate_violation(violation, language)
        }
        (LinkError::Unauthorized, Swedish) => "Obehörig".into(),
        (LinkError::Unauthorized, Norwegian | Danish) => "Uautorisert".into(),
        (LinkError::Unauthorized, German) => "Nicht autorisiert".into(),
        (LinkError::NoAccess(what), Swedish) => format!("Åtkomst saknas: {what}"),
        (LinkError::NoAccess(what), Norwegian) => format!("Mangler tilgang: {what}"),
        (LinkError::NoAccess(what), Danish) => format!("Mangler adgang: {what}"),
        (LinkError::NoAccess(what), German) => format!("Kein Zugriff: {what}"),
        (LinkError::InvalidPayload(why), Swedish) => format!("Ogiltig JSON: {why}"),
        (LinkError::InvalidPayload(why), Norwegian | Danish) => format!("Ugyldig JSON: {why}"),
        (LinkError::InvalidPayload(why), German) => format!("Ungültiges JSON: {why}"),
        (LinkError::NotFound(id), Swedish) => format!("messageId {id}: meddelandet finns inte"),
        (LinkError::NotFound(id), Norwegian) => format!("messageId {id}: meldingen finnes ikke"),
        (LinkError::NotFound(id), Danish) => format!("messageId {id}: beskeden findes ikke"),
        (LinkError::NotFound(id), German) => format!("messageId {id}: keine solche Nachricht"),
        (LinkError::MetaRefused(why), Swedish) => format!("Meta avböjde begäran: {why}"),
        (LinkError::MetaRefused(why), Norwegian) => format!("Meta avviste forespørselen: {why}"),
        (LinkError::MetaRefused(why), Danish) => format!("Meta afviste anmodningen: {why}"),
        (LinkError::MetaRefused(why), German) => format!("Meta hat die Anfrage abgelehnt: {why}"),
        (LinkError::MetaUnreachable(why), Swedish) => format!("inget svar från Meta: {why}"),
        (LinkError::MetaUnreachable(why), Norwegian) => format!("ikke noe svar fra Meta: {why}"),
        (LinkError::MetaUnreachable(why), Danish) => format!("intet svar fra Meta: {why}"),
        (LinkError::MetaUnreachable(why), German) => format!("keine Antwort von Meta: {why}"),
        (LinkError::Protocol(error), _) => translate_protocol(error, language),
        // Field names and rules, as the request wrote them.
        (LinkError::BadParameter(why), _) => why.clone(),
        (LinkError::RateLimited(wait), Swedish) => format!(
            "För många anrop: källans gräns för administrativa anrop är nådd; försök igen om {}s",
            super::error::retry_after_seconds(*wait)
        ),
        (LinkError::RateLimited(wait), Norwegian | Danish) => format!(
            "For mange kall: kildens grense for administrative kall er nådd; prøv igjen om {}s",
            super::error::retry_after_seconds(*wait)
        ),
        (LinkError::RateLimited(wait), German) => format!(
            "Zu viele Anfragen: das Limit dieser Quelle für Verwaltungsaufrufe ist erreicht; erneut in {}s",
            super::error::retry_after_seconds(*wait)
        ),
        (LinkError::Internal, Swedish) => "Serverfel".into(),
        (LinkError::Internal, Norwegian | Danish) => "Serverfeil".into(),
        (LinkError::Internal, German) => "Serverfehler".into(),
    }
}

fn translate_protocol(error: &ProtocolError, language: Language) -> String {
    use Language::*;
    let seconds = |timeout: &std::time::Duration| humantime::format_duration(*timeout).to_string();
    match (error, language) {
        (_, English) => error.to_string(),
        (ProtocolError::NoRoute { method, path }, Swedish) => {
            format!("ingen sådan ändpunkt: {method} {path}")
        }
        (ProtocolError::NoRoute { method, path }, Norwegian | Danish) => {
            format!("ukjent endepunkt: {method} {path}")
        }
        (ProtocolError::NoRoute { method, path }, German) => {
            format!("kein solcher Endpunkt: {method} {path}")
        }
        (ProtocolError::MethodNotAllowed { method, path }, Swedish) => {
            format!("{path} tar inte emot {method}")
        }
        (ProtocolError::MethodNotAllowed { method, path }, Norwegian | Danish) => {
            format!("{path} tar ikke imot {method}")
        }
        (ProtocolError::MethodNotAllowed { method, path }, German) => {
            format!("{path} nimmt kein {method} an")
        }
        (ProtocolError::TooLarge { limit }, Swedish) => {
            format!("kroppen är större än {limit} byte")
        }
        (ProtocolError::TooLarge { limit }, Norwegian | Danish) => {
            format!("innholdet er større enn {limit} byte")
        }
        (ProtocolError::TooLarge { limit }, German) => {
            format!("der Inhalt ist größer als {limit} Bytes")
        }
        (ProtocolError::BodyTimeout(timeout), Swedish) => {
            format!("kroppen kom inte fram inom {}", seconds(timeout))
        }
        (ProtocolError::BodyTimeout(timeout), Norwegian | Danish) => {
            format!("innholdet kom ikke fram innen {}", seconds(timeout))
        }
        (ProtocolError::BodyTimeout(timeout), German) => {
            format!("der Inhalt kam nicht innerhalb von {} an", seconds(timeout))
        }
        (ProtocolError::BodyUnreadable(why), Swedish) => format!("kroppen kunde inte läsas: {why}"),
        (ProtocolError::BodyUnreadable(why), Norwegian | Danish) => {
            format!("innholdet kunne ikke leses: {why}")
        }
        (ProtocolError::BodyUnreadable(why), German) => {
            format!("der Inhalt konnte nicht gelesen werden: {why}")
        }
    }
}

fn translate_violation(violation: &Violation, language: Language) -> String {
    let rule = translate_rule(&violation.rule, language);
    if violation.path.is_empty() {
        rule
    } else {
        format!("{}: {rule}", violation.path)
    }
}

fn translate_rule(rule: &Rule, language: Language) -> String {
    use Language::*;
    let list = |items: &[&str]| items.join(", ");
    match (rule, language) {
        (_, English) => rule.to_string(),
        (Rule::Type(message), _) => message.clone(),
        (Rule::Required, Swedish) => "är obligatoriskt".into(),
        (Rule::Required, Norwegian) => "er påkrevd".into(),
        (Rule::Required, Danish) => "er påkrævet".into(),
        (Rule::Required, German) => "ist erforderlich".into(),
        (Rule::NotAllowed(why), Swedish) => format!("är inte tillåtet ({why})"),
        (Rule::NotAllowed(why), Norwegian | Danish) => format!("er ikke tillatt ({why})"),
        (Rule::NotAllowed(why), German) => format!("ist nicht erlaubt ({why})"),
        (Rule::NotEmpty, Swedish) => "får inte vara tomt".into(),
        (Rule::NotEmpty, Norwegian | Danish) => "kan ikke være tomt".into(),
        (Rule::NotEmpty, German) => "darf nicht leer sein".into(),
        (Rule::MaxLength(max), Swedish) => format!("får vara högst {max} tecken långt"),
        (Rule::MaxLength(max), Norwegian | Danish) => format!("kan være høyst {max} tegn langt"),
        (Rule::MaxLength(max), German) => format!("darf höchstens {max} Zeichen lang sein"),
        (Rule::MaxItems(max), Swedish) => format!("får ha högst {max} poster"),
        (Rule::MaxItems(max), Norwegian | Danish) => format!("kan ha høyst {max} elementer"),
        (Rule::MaxItems(max), German) => format!("darf höchstens {max} Einträge haben"),
        (Rule::MinItems(min), Swedish) => format!("måste ha minst {min} poster"),
        (Rule::MinItems(min), Norwegian | Danish) => format!("må ha minst {min} elementer"),
        (Rule::MinItems(min), German) => format!("muss mindestens {min} Einträge haben"),
        (Rule::MaxTotal { max, items }, Swedish) => {
            format!("överskrider gränsen på {max} ({items})")
        }
        (Rule::MaxTotal { max, items }, Norwegian | Danish) => {
            format!("overskrider grensen på {max} ({items})")
        }
        (Rule::MaxTotal { max, items }, German) => {
            format!("überschreitet die Grenze von {max} ({items})")
        }
        (Rule::MaxLineBreaks(max), Swedish) => format!("får ha högst {max} radbrytningar"),
        (Rule::MaxLineBreaks(max), Norwegian | Danish) => format!("kan ha høyst {max} linjeskift"),
        (Rule::MaxLineBreaks(max), German) => format!("darf höchstens {max} Zeilenumbrüche haben"),
        (Rule::MaxParts(max), Swedish) => format!("destinations × messages får vara högst {max}"),
        (Rule::MaxParts(max), Norwegian | Danish) => {
            format!("destinations × messages kan være høyst {max}")
        }
        (Rule::MaxParts(max), German) => {
            format!("destinations × messages darf höchstens {max} sein")
        }
        (Rule::MaxRenderedBytes(max), Swedish) => format!(
            "Cloud API-kropparna för destinations × messages får vara högst {max} byte sammanlagt"
        ),
        (Rule::MaxRenderedBytes(max), Norwegian | Danish) => format!(
            "Cloud API-kroppene for destinations × messages kan være høyst {max} byte til sammen"
        ),
        (Rule::MaxRenderedBytes(max), German) => format!(
            "die Cloud-API-Bodys von destinations × messages dürfen zusammen höchstens {max} Bytes haben"
        ),
        (Rule::SameAs { first }, Swedish) => format!("måste vara samma som {first}"),
        (Rule::SameAs { first }, Norwegian | Danish) => format!("må være det samme som {first}"),
        (Rule::SameAs { first }, German) => format!("muss dasselbe sein wie {first}"),
        (Rule::Range { min, max }, Swedish) => format!("måste ligga mellan {min} och {max}"),
        (Rule::Range { min, max }, Norwegian | Danish) => format!("må være mellom {min} og {max}"),
        (Rule::Range { min, max }, German) => format!("muss zwischen {min} und {max} liegen"),
        (Rule::OneOf(allowed), Swedish) => format!("måste vara ett av: {}", list(allowed)),
        (Rule::OneOf(allowed), Norwegian | Danish) => format!("må være en av: {}", list(allowed)),
        (Rule::OneOf(allowed), German) => format!("muss einer der Werte sein: {}", list(allowed)),
        (Rule::ExactlyOneOf(fields), Swedish) => format!("måste ha exakt ett av: {}", list(fields)),
        (Rule::ExactlyOneOf(fields), Norwegian | Danish) => {
            format!("må ha nøyaktig ett av: {}", list(fields))
        }
        (Rule::ExactlyOneOf(fields), German) => {
            format!("muss genau eines haben von: {}", list(fields))
        }
        (Rule::AtLeastOneOf(fields), Swedish) => format!("måste ha minst ett av: {}", list(fields)),
        (Rule::AtLeastOneOf(fields), Norwegian | Danish) => {
            format!("må ha minst ett av: {}", list(fields))
        }
        (Rule::AtLeastOneOf(fields), German) => {
            format!("muss mindestens eines haben von: {}", list(fields))
        }
        (Rule::Format(expected), Swedish) => format!("har fel format, väntat: {expected}"),
        (Rule::Format(expected), Norwegian | Danish) => {
            format!("har feil format, forventet: {expected}")
        }
        (Rule::Format(expected), German) => format!("hat das falsche Format, erwartet: {expected}"),
        (Rule::Duplicate { first }, Swedish) => format!("är en dubblett av {first}"),
        (Rule::Duplicate { first }, Norwegian | Danish) => format!("er et duplikat av {first}"),
        (Rule::Duplicate { first }, German) => format!("ist ein Duplikat von {first}"),
        (Rule::InThePast, Swedish) => "har redan passerat".into(),
        (Rule::InThePast, Norwegian | Danish) => "har allerede passert".into(),
        (Rule::InThePast, German) => "liegt bereits in der Vergangenheit".into(),
        (Rule::MaxAhead { millis }, Swedish) => {
            format!("får ligga högst {millis} millisekunder fram i tiden")
        }
        (Rule::MaxAhead { millis }, Norwegian | Danish) => {
            format!("kan ligge høyst {millis} millisekunder frem i tid")
        }
        (Rule::MaxAhead { millis }, German) => {
            format!("darf höchstens {millis} Millisekunden in der Zukunft liegen")
        }
        (Rule::Unknown(what), Swedish) => format!("är inte en känd {what}"),
        (Rule::Unknown(what), Norwegian | Danish) => format!("er ikke en kjent {what}"),
        (Rule::Unknown(what), German) => format!("ist kein bekanntes {what}"),
        (Rule::MaxBytes { max, of }, Swedish) => format!("får vara högst {max} byte för {of}"),
        (Rule::MaxBytes { max, of }, Norwegian | Danish) => {
            format!("kan være høyst {max} byte for {of}")
        }
        (Rule::MaxBytes { max, of }, German) => {
            format!("darf für {of} höchstens {max} Bytes groß sein")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_honours_weights_and_skips_unknown_languages() {
        assert_eq!(
            Language::negotiate("sv-SE,sv;q=0.9,en;q=0.8"),
            Some(Language::Swedish)
        );
        assert_eq!(
            Language::negotiate("fr-FR, de;q=0.5, en;q=0.7"),
            Some(Language::English)
        );
        assert_eq!(Language::negotiate("nb-NO"), Some(Language::Norwegian));
        assert_eq!(Language::negotiate("fr, ja"), None);
        assert_eq!(Language::negotiate("sv;q=0"), None);
    }

    #[test]
    fn violations_translate_but_keep_their_path() {
        let violation = Violation::new("messages[0].text.body", Rule::MaxLength(4096));
        let error = LinkError::Invalid(violation);
        assert_eq!(
            translate(&error, Language::Swedish),
            "messages[0].text.body: får vara högst 4096 tecken långt"
        );
        assert_eq!(translate(&error, Language::English), error.to_string());
        assert_eq!(
            translate(&LinkError::Unauthorized, Language::German),
            "Nicht autorisiert"
        );
    }
}
