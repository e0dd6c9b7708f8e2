//! Tests of `todo_ecr_authorization_token`: the token decoding, the schema's validation and
//! sensitivity, and Open against the scripted fake ECR (the request, the result, errors that
//! never quote the token, and provider settings not known yet).

use base64::Engine as _;
use serde_json::json;

use super::*;
use crate::plugin::AttributePath;
use crate::plugin::validator::validate_block;
use crate::provider::fake_aws::{Answer, FakeAws};

/// A password no other value in these tests contains.
const PASSWORD: &str = "eyJwYXlsb2FkIjoiZmFrZSJ9:with/colon+and=";

fn encoded(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A configuration as Terraform sends it: every attribute, the computed ones null.
fn config(registry_id: Option<&str>) -> Value {
    let mut config =
        crate::plugin::model::conform(Value::Object(Default::default()), &schema().value_type());
    if let (Value::Object(attributes), Some(id)) = (&mut config, registry_id) {
        attributes.insert("registry_id".to_owned(), Value::from(id));
    }
    config
}

/// ECR's answer to GetAuthorizationToken with `token`.
fn token_answer(token: &str) -> Answer {
    Answer::ok(json!({
        "authorizationData": [{
            "authorizationToken": token,
            "expiresAt": 1_779_148_800.0,
            "proxyEndpoint": "https://210987654321.dkr.ecr.us-east-1.amazonaws.com",
        }]
    }))
}

async fn token_resource(fake: &FakeAws) -> EcrAuthorizationToken {
    let clients = fake.start().await.unwrap();
    EcrAuthorizationToken::new(Arc::new(ClientSlot::ready(clients)))
}

#[test]
fn tokens_decode_to_user_name_and_password() {
    let credentials = decode_token(&encoded(&format!("AWS:{PASSWORD}"))).unwrap();
    assert_eq!(credentials.user_name, "AWS");
    // Only the first colon separates: passwords may hold more.
    assert_eq!(credentials.password, PASSWORD);
    assert_eq!(decode_token("not base64!"), Err(TokenError::NotBase64));
    assert_eq!(
        decode_token(&base64::engine::general_purpose::STANDARD.encode([0xff, 0xfe, b':'])),
        Err(TokenError::NotText)
    );
    assert_eq!(
        decode_token(&encoded("AWS-no-separator")),
        Err(TokenError::NoSeparator)
    );
    assert_eq!(decode_token(&encoded("AWS:")), Err(TokenError::NoSeparator));
    let debug = format!("{credentials:?}");
    assert!(!debug.contains(PASSWORD), "{debug}");
}

#[test]
fn registry_ids_are_twelve_digits_and_the_secrets_are_sensitive() {
    let block = schema().block;
    let check = |id: &str| validate_block(&block, &config(Some(id)), &AttributePath::default());
    assert!(check("123456789012").is_empty());
    for bad in ["", "12345678901", "1234567890123", "12345678901a"] {
        let diagnostics = check(bad);
        assert!(diagnostics.has_errors(), "{bad:?} was accepted");
        let summaries: Vec<&str> = diagnostics.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(summaries, ["Invalid registry ID"], "{bad:?}");
    }
    let sensitive: Vec<&str> = block
        .attributes
        .iter()
        .filter(|a| a.sensitive)
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(sensitive, ["password", "authorization_token"]);
}

#[tokio::test]
async fn open_answers_the_login_for_the_registry_asked_for() {
    let fake = FakeAws::default();
    let token = encoded(&format!("AWS:{PASSWORD}"));
    fake.answer("GetAuthorizationToken", token_answer(&token));
    let resource = token_resource(&fake).await;
    let opened = resource
        .open(&config(Some("210987654321")), &CallContext::default())
        .await
        .unwrap()
        .expect("opened");
    assert!(
        opened.renew_at.is_none(),
        "a 12-hour token needs no renewal"
    );
    assert!(opened.private.to_bytes().is_empty(), "no private data");
    let result = &opened.result;
    let text = |name: &str| result.attr(name).and_then(Value::as_str).map(str::to_owned);
    assert_eq!(text("registry_id").as_deref(), Some("210987654321"));
    assert_eq!(
        text("proxy_endpoint").as_deref(),
        Some("https://210987654321.dkr.ecr.us-east-1.amazonaws.com")
    );
    assert_eq!(text("user_name").as_deref(), Some("AWS"));
    assert_eq!(text("password").as_deref(), Some(PASSWORD));
    assert_eq!(text("authorization_token"), Some(token));
    assert_eq!(text("expires_at").as_deref(), Some("2026-05-19T00:00:00Z"));

    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].operation, "GetAuthorizationToken");
    assert_eq!(calls[0].input["registryIds"], json!(["210987654321"]));

    // Without a registry ID, ECR answers for the caller's registry.
    resource
        .open(&config(None), &CallContext::default())
        .await
        .unwrap()
        .expect("opened");
    assert!(fake.calls()[1].input.get("registryIds").is_none());
}

#[tokio::test]
async fn unusable_tokens_and_refusals_are_errors_that_do_not_quote_the_token() {
    let fake = FakeAws::default();
    let without_separator = format!("AWS{}", PASSWORD.replace(':', ""));
    let unusable = encoded(&without_separator);
    fake.queue(
        "GetAuthorizationToken",
        vec![
            token_answer(&unusable),
            Answer::ok(json!({ "authorizationData": [] })),
            Answer::error("AccessDeniedException", "not allowed"),
        ],
    );
    let resource = token_resource(&fake).await;
    let mut details = Vec::new();
    for _ in 0..3 {
        let error = match resource.open(&config(None), &CallContext::default()).await {
            Ok(_) => panic!("the open must fail"),
            Err(diagnostics) => diagnostics,
        };
        let text = format!("{error:?}");
        assert!(!text.contains(&without_separator), "{text}");
        assert!(!text.contains(&unusable), "{text}");
        details.push(error.iter().map(|d| d.detail.clone()).collect::<String>());
    }
    assert!(
        details[0].contains("not `<user name>:<password>`"),
        "{details:?}"
    );
    assert!(details[1].contains("no authorization data"), "{details:?}");
    assert!(details[2].contains("AccessDeniedException"), "{details:?}");
}

#[tokio::test]
async fn unknown_provider_settings_open_nothing_and_call_no_aws() {
    let slot = ClientSlot::default();
    slot.configure(crate::provider::Configured::Unknown {
        settings: vec!["region"],
        default_tags: crate::plugin::Known::Value(Default::default()),
    });
    let resource = EcrAuthorizationToken::new(Arc::new(slot));
    let opened = resource
        .open(&config(None), &CallContext::default())
        .await
        .unwrap();
    assert!(opened.is_none(), "known at apply");

    let unconfigured = EcrAuthorizationToken::new(Arc::new(ClientSlot::default()));
    let error = match unconfigured
        .open(&config(None), &CallContext::default())
        .await
    {
        Ok(_) => panic!("an unconfigured provider cannot open"),
        Err(diagnostics) => diagnostics,
    };
    assert!(error.has_errors());
}
