//! The provider functions through the real `terraform`: `provider::todo::image_uri` and
//! `provider::todo::parse_image_uri` in outputs and in `terraform console`, their error
//! messages, and their listing in `providers schema -json`. No emulator: functions call no AWS
//! API (the endpoint is a closed port).

mod support;

use serde_json::Value;
use support::Terraform;
use support::terraform::REQUIRED_PROVIDERS;

const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-todo");
/// Nothing listens here: a function that reached AWS would fail the test.
const DEAD_ENDPOINT: &str = "http://127.0.0.1:9";
const URL: &str = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/todo-service";

fn digest() -> String {
    format!("sha256:{}", "c".repeat(64))
}

#[test]
#[ignore = "needs terraform from `make tools`; run with `make test`"]
fn functions_build_and_split_image_uris_in_outputs() {
    let tf = Terraform::with_endpoint(DEAD_ENDPOINT, PROVIDER);
    let digest = digest();
    tf.write(
        "main.tf",
        &format!(
            r#"{REQUIRED_PROVIDERS}
output "by_tag" {{
  value = provider::todo::image_uri("{URL}", "3f2a1bc")
}}
output "by_digest" {{
  value = provider::todo::image_uri("{URL}", "{digest}")
}}
output "parts" {{
  value = provider::todo::parse_image_uri("{URL}:v1@{digest}")
}}
output "round_trip" {{
  value = provider::todo::parse_image_uri(provider::todo::image_uri("{URL}", "3f2a1bc")).tag
}}
"#
        ),
    );
    tf.apply(&[]);
    let out = tf.run_ok(&["output", "-json"]);
    let outputs: Value = serde_json::from_slice(&out.stdout).expect("outputs json");
    assert_eq!(outputs["by_tag"]["value"], format!("{URL}:3f2a1bc"));
    assert_eq!(outputs["by_digest"]["value"], format!("{URL}@{digest}"));
    let parts = &outputs["parts"]["value"];
    assert_eq!(
        parts["registry"],
        "123456789012.dkr.ecr.eu-central-1.amazonaws.com"
    );
    assert_eq!(parts["repository"], "todo-service");
    assert_eq!(parts["tag"], "v1");
    assert_eq!(parts["digest"], digest);
    assert_eq!(outputs["round_trip"]["value"], "3f2a1bc");

    let schema = tf.run_ok(&["providers", "schema", "-json"]);
    let schema: Value = serde_json::from_slice(&schema.stdout).expect("schema json");
    let functions = &schema["provider_schemas"]["registry.terraform.io/todo/todo"]["functions"];
    for name in ["image_uri", "parse_image_uri"] {
        assert!(
            functions[name]["summary"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{name}: {functions:#}"
        );
    }
}

/// What `terraform console` prints for `expression`, stdout and stderr together.
fn console(tf: &Terraform, expression: &str) -> (bool, String) {
    let script = tf.dir().join("expression.txt");
    std::fs::write(&script, format!("{expression}\n")).expect("write the expression");
    let out = tf.run_with_stdin(&["console"], &script);
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
#[ignore = "needs terraform from `make tools`; run with `make test`"]
fn function_errors_say_what_is_wrong_in_the_console() {
    let tf = Terraform::with_endpoint(DEAD_ENDPOINT, PROVIDER);
    tf.write("main.tf", REQUIRED_PROVIDERS);
    let (ok, text) = console(&tf, &format!(r#"provider::todo::image_uri("{URL}", "v1")"#));
    assert!(ok, "{text}");
    assert!(text.contains(&format!("{URL}:v1")), "{text}");

    let (ok, text) = console(
        &tf,
        &format!(r#"provider::todo::image_uri("{URL}", "-bad")"#),
    );
    assert!(!ok, "a bad tag must fail: {text}");
    let text = support::unwrap_lines(&text);
    assert!(text.contains("is not a valid image tag"), "{text}");
    assert!(text.contains("reference"), "the argument is named: {text}");

    let (ok, text) = console(
        &tf,
        &format!(r#"provider::todo::image_uri("{URL}:v1", "v2")"#),
    );
    assert!(!ok, "a URL with a tag must fail: {text}");
    let text = support::unwrap_lines(&text);
    assert!(text.contains("without scheme, tag or digest"), "{text}");

    let (ok, text) = console(&tf, r#"provider::todo::parse_image_uri("repo@sha256:zz")"#);
    assert!(!ok, "a bad digest must fail: {text}");
    assert!(
        support::unwrap_lines(&text).contains("not an image digest"),
        "{text}"
    );
}
