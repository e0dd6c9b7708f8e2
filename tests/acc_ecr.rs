//! Acceptance tests of `todo_ecr_repository` and the `todo_ecr_image` data source (issue 3).
//!
//! Every scenario runs against both ministack and moto: `scenario!` turns one function into a
//! module with a `ministack` and a `moto` test, so a failure names the emulator
//! (`rename_replaces::moto`). Each scenario checks that the plan right after every apply is
//! empty and, at the end, that destroy leaves no repository in the emulator (asked through the
//! AWS SDK). With `TODO_ACC_ENDPOINT` set, both variants run against that endpoint instead.
//!
//! Run: `TF_ACC=1 cargo test --test acc_ecr -- --include-ignored` (after `make tools`).

mod support;

use std::time::Duration;

use aws_sdk_ecr::types::ImageTagMutability;
use serde_json::Value;
use support::aws::aws_error;
use support::fixture::{Acc, DEFAULT_TAGS, named_resource, scenario};
use support::maps::{map, string_map};
use support::stub::{HungEndpoint, StubEndpoint};
use support::terraform::REQUIRED_PROVIDERS;
use support::{PROVIDER, Terraform, line_of, require_acc, unwrap_lines};

const ADDRESS: &str = "todo_ecr_repository.r";

/// A `todo_ecr_repository.r` block; `extra` goes inside it.
fn repository_tf(name: &str, extra: &str) -> String {
    named_resource("todo_ecr_repository", "r", name, extra)
}

/// The repository scenarios' own steps, on the shared fixture (the ECR queries are in
/// `support::ecr`).
impl Acc {
    /// Destroy, then the state must be empty and the emulator must report none of this run's
    /// repositories.
    fn destroy_clean(&self) {
        self.destroy_to_empty_state();
        self.assert_no_repositories();
    }

    /// The state's attributes of [`ADDRESS`].
    fn state(&self) -> Value {
        self.tf.state_resource(ADDRESS)
    }
}

// 1. Create with defaults.
scenario!(create_with_defaults);
fn create_with_defaults(acc: &Acc) {
    let name = acc.name("defaults");
    acc.config("", &repository_tf(&name, ""));
    acc.apply_clean();

    let remote = acc.existing_repository(&name);
    assert_eq!(
        remote.image_tag_mutability(),
        Some(&ImageTagMutability::Mutable),
        "{}: tag mutability",
        acc.kind
    );
    let state = acc.state();
    assert_eq!(
        state["repository_url"].as_str(),
        remote.repository_uri(),
        "{}: repository_url",
        acc.kind
    );
    assert_eq!(state["arn"].as_str(), remote.repository_arn());
    assert_eq!(state["registry_id"].as_str(), remote.registry_id());
    assert_eq!(state["id"], name.as_str());
    assert_eq!(state["image_tag_mutability"], "MUTABLE");
    assert_eq!(state["scan_on_push"], false);
    assert_eq!(state["encryption_type"], "AES256");
    assert_eq!(state["force_delete"], false);
    if let Some(account) = acc.emu.account_id() {
        assert_eq!(state["registry_id"], account, "{}", acc.kind);
        assert_eq!(
            state["repository_url"],
            format!("{account}.dkr.ecr.us-east-1.amazonaws.com/{name}"),
            "{}",
            acc.kind
        );
    }
    acc.destroy_clean();
}

// 2. Scanning, mutability and tags change in place.
scenario!(update_in_place);
fn update_in_place(acc: &Acc) {
    let name = acc.name("update");
    acc.config(
        "",
        &repository_tf(
            &name,
            r#"  tags = {
    keep = "1"
    gone = "x"
  }
"#,
        ),
    );
    acc.apply_clean();
    let arn = acc.state()["arn"].as_str().expect("arn").to_owned();
    assert_eq!(
        acc.repository_tags(&arn),
        map(&[("keep", "1"), ("gone", "x")])
    );

    acc.config(
        "",
        &repository_tf(
            &name,
            r#"  scan_on_push         = true
  image_tag_mutability = "IMMUTABLE"
  tags = {
    keep  = "2"
    added = "y"
  }
"#,
        ),
    );
    let (actions, _) = acc.planned_actions(ADDRESS);
    assert_eq!(actions, ["update"], "{}: an in-place update", acc.kind);
    acc.apply_clean();

    let state = acc.state();
    assert_eq!(
        state["arn"],
        arn.as_str(),
        "{}: the ARN is unchanged",
        acc.kind
    );
    let remote = acc.existing_repository(&name);
    assert_eq!(remote.repository_arn(), Some(arn.as_str()));
    assert_eq!(
        remote.image_tag_mutability(),
        Some(&ImageTagMutability::Immutable),
        "{}",
        acc.kind
    );
    assert_eq!(
        remote
            .image_scanning_configuration()
            .map(|c| c.scan_on_push()),
        Some(true),
        "{}",
        acc.kind
    );
    let expected = map(&[("keep", "2"), ("added", "y")]);
    assert_eq!(acc.repository_tags(&arn), expected, "{}: tags", acc.kind);
    assert_eq!(string_map(&state["tags_all"]), expected);
    acc.destroy_clean();
}

// 3. A new name replaces the repository.
scenario!(rename_replaces);
fn rename_replaces(acc: &Acc) {
    let (old, new) = (acc.name("before"), acc.name("after"));
    let write = |name: &str| acc.config("", &repository_tf(name, ""));
    write(&old);
    acc.apply_clean();
    let old_arn = acc.state()["arn"].clone();

    write(&new);
    acc.assert_plan_replaces(ADDRESS, "name");
    acc.apply_clean();
    assert!(
        acc.repository(&old).is_none(),
        "{}: {old} is still there",
        acc.kind
    );
    let remote = acc.existing_repository(&new);
    assert_eq!(acc.state()["name"], new.as_str());
    assert_eq!(acc.state()["arn"].as_str(), remote.repository_arn());
    assert_ne!(acc.state()["arn"], old_arn);
    acc.destroy_clean();
}

// 4. Import by name, with `terraform import` and with an `import` block.
scenario!(import_then_empty_plan);
fn import_then_empty_plan(acc: &Acc) {
    let (cli, block) = (acc.name("import-cli"), acc.name("import-block"));
    for name in [&cli, &block] {
        acc.aws
            .block_on(
                acc.aws
                    .ecr
                    .create_repository()
                    .repository_name(name)
                    .image_tag_mutability(ImageTagMutability::Immutable)
                    .tags(
                        aws_sdk_ecr::types::Tag::builder()
                            .key("team")
                            .value("platform")
                            .build()
                            .expect("tag"),
                    )
                    .send(),
            )
            .unwrap_or_else(|e| panic!("{}: CreateRepository: {}", acc.kind, aws_error(&e)));
    }
    let resource = |label: &str, name: &str| {
        format!(
            r#"resource "todo_ecr_repository" "{label}" {{
  name                 = "{name}"
  image_tag_mutability = "IMMUTABLE"
  tags = {{
    team = "platform"
  }}
}}
"#
        )
    };

    // The CLI.
    acc.config("", &resource("r", &cli));
    acc.tf.import(ADDRESS, &cli, &[]);
    let state = acc.state();
    assert_eq!(state["name"], cli.as_str());
    assert_eq!(state["image_tag_mutability"], "IMMUTABLE");
    assert_eq!(
        state["arn"].as_str(),
        acc.existing_repository(&cli).repository_arn(),
        "{}",
        acc.kind
    );
    acc.tf.assert_plan_empty(&[]);

    // An import block: the plan imports and changes nothing else.
    acc.config(
        "",
        &format!(
            "{}\n{}\nimport {{\n  to = todo_ecr_repository.b\n  id = \"{block}\"\n}}\n",
            resource("r", &cli),
            resource("b", &block)
        ),
    );
    let (actions, change) = acc.planned_actions("todo_ecr_repository.b");
    assert_eq!(actions, ["no-op"], "{}: {change:#}", acc.kind);
    assert!(
        change["change"]["importing"]["id"] == block.as_str(),
        "{}: {change:#}",
        acc.kind
    );
    acc.apply_clean();
    assert_eq!(
        acc.tf.state_resource("todo_ecr_repository.b")["arn"].as_str(),
        acc.existing_repository(&block).repository_arn()
    );
    acc.destroy_clean();
}

// 5. A repository deleted outside Terraform is planned for creation again.
scenario!(out_of_band_delete_recreates);
fn out_of_band_delete_recreates(acc: &Acc) {
    let name = acc.name("oob-delete");
    acc.config("", &repository_tf(&name, ""));
    acc.apply_clean();

    acc.aws
        .block_on(
            acc.aws
                .ecr
                .delete_repository()
                .repository_name(&name)
                .send(),
        )
        .unwrap_or_else(|e| panic!("{}: DeleteRepository: {}", acc.kind, aws_error(&e)));
    assert!(acc.repository(&name).is_none());

    let (actions, _) = acc.planned_actions(ADDRESS);
    assert_eq!(actions, ["create"], "{}", acc.kind);
    acc.apply_clean();
    let remote = acc.existing_repository(&name);
    assert_eq!(acc.state()["arn"].as_str(), remote.repository_arn());
    acc.destroy_clean();
}

// 6. A mutability changed outside Terraform is planned back in place.
scenario!(out_of_band_mutability_is_reverted);
fn out_of_band_mutability_is_reverted(acc: &Acc) {
    let name = acc.name("oob-mutability");
    acc.config("", &repository_tf(&name, ""));
    acc.apply_clean();
    let arn = acc.state()["arn"].clone();

    acc.aws
        .block_on(
            acc.aws
                .ecr
                .put_image_tag_mutability()
                .repository_name(&name)
                .image_tag_mutability(ImageTagMutability::Immutable)
                .send(),
        )
        .unwrap_or_else(|e| panic!("{}: PutImageTagMutability: {}", acc.kind, aws_error(&e)));

    let (actions, change) = acc.planned_actions(ADDRESS);
    assert_eq!(actions, ["update"], "{}: {change:#}", acc.kind);
    assert_eq!(
        change["change"]["before"]["image_tag_mutability"],
        "IMMUTABLE"
    );
    assert_eq!(change["change"]["after"]["image_tag_mutability"], "MUTABLE");
    acc.apply_clean();
    assert_eq!(
        acc.existing_repository(&name).image_tag_mutability(),
        Some(&ImageTagMutability::Mutable),
        "{}",
        acc.kind
    );
    assert_eq!(acc.state()["arn"], arn);
    acc.destroy_clean();
}

// 7. A repository holding an image is deleted only with force_delete.
scenario!(force_delete_guards_images);
fn force_delete_guards_images(acc: &Acc) {
    let name = acc.name("force");
    let write = |force: bool| {
        acc.config(
            "",
            &repository_tf(&name, &format!("  force_delete = {force}\n")),
        )
    };
    write(false);
    acc.apply_clean();
    acc.aws.push(&name, "3f2a1bc", "force");

    let error = unwrap_lines(&acc.tf.destroy_expect_error(&[]));
    assert!(
        error.contains("force_delete"),
        "{}: the error names force_delete: {error}",
        acc.kind
    );
    assert!(error.contains(&name), "{}: {error}", acc.kind);
    assert!(
        acc.repository(&name).is_some(),
        "{}: the repository was deleted",
        acc.kind
    );
    assert_eq!(acc.tf.state_addresses(), [ADDRESS], "{}", acc.kind);

    write(true);
    let (actions, _) = acc.planned_actions(ADDRESS);
    assert_eq!(actions, ["update"], "{}", acc.kind);
    acc.apply_clean();
    assert_eq!(acc.state()["force_delete"], true);
    acc.destroy_clean();
}

// 8. keep_images writes the lifecycle policy; equivalent JSON never shows a diff.
scenario!(lifecycle_policies);
fn lifecycle_policies(acc: &Acc) {
    let name = acc.name("lifecycle");
    acc.config("", &repository_tf(&name, "  keep_images = 7\n"));
    acc.apply_clean();
    let text = acc.lifecycle_policy(&name);
    let doc: Value = serde_json::from_str(&text).expect("the policy is JSON");
    assert_eq!(
        doc["rules"].as_array().map(Vec::len),
        Some(1),
        "{}: {text}",
        acc.kind
    );
    let selection = &doc["rules"][0]["selection"];
    assert_eq!(selection["countNumber"], 7, "{}: {text}", acc.kind);
    assert_eq!(
        selection["countType"], "imageCountMoreThan",
        "{}: {text}",
        acc.kind
    );
    assert_eq!(selection["tagStatus"], "any", "{}: {text}", acc.kind);
    assert_eq!(
        doc["rules"][0]["action"]["type"], "expire",
        "{}: {text}",
        acc.kind
    );
    assert_eq!(acc.state()["keep_images"], 7);
    assert!(acc.state()["lifecycle_policy"].is_null());

    // The emulators return the text as it was put. AWS may return another serialisation of the
    // same document: put one (pretty-printed, keys reversed) and the plan stays empty.
    let reserialised = serde_json::to_string_pretty(&reverse_keys(&doc)).expect("JSON");
    acc.put_lifecycle_policy(&name, &reserialised);
    assert_ne!(acc.lifecycle_policy(&name), text);
    acc.tf.assert_plan_empty(&[]);
    assert_eq!(acc.state()["keep_images"], 7);

    // A policy as raw JSON, with its rules out of priority order and its tag prefixes unsorted.
    let raw = r#"{
      "rules" : [ {
          "action"      : { "type" : "expire" },
          "selection"   : {
              "countNumber" : 3,
              "countType"   : "imageCountMoreThan",
              "tagStatus"   : "any"
          },
          "description" : "keep three",
          "rulePriority": 2
      }, {
          "rulePriority": 1,
          "description" : "expire old releases",
          "selection"   : {
              "tagStatus"     : "tagged",
              "tagPrefixList" : [ "v", "release" ],
              "countType"     : "sinceImagePushed",
              "countUnit"     : "days",
              "countNumber"   : 90
          },
          "action"      : { "type" : "expire" }
      } ]
    }"#;
    acc.config(
        "",
        &repository_tf(
            &name,
            &format!("  lifecycle_policy = <<-EOT\n{raw}\n  EOT\n"),
        ),
    );
    let (actions, _) = acc.planned_actions(ADDRESS);
    assert_eq!(actions, ["update"], "{}", acc.kind);
    acc.apply_clean();
    let configured: Value = serde_json::from_str(raw).expect("JSON");
    let returned: Value =
        serde_json::from_str(&acc.lifecycle_policy(&name)).expect("the policy is JSON");
    assert_eq!(returned, configured, "{}: the emulator's policy", acc.kind);
    let state = acc.state();
    assert!(state["keep_images"].is_null(), "{state:#}");
    let stored: Value =
        serde_json::from_str(state["lifecycle_policy"].as_str().expect("policy in state"))
            .expect("JSON");
    assert_eq!(stored, configured);

    // What AWS answers for it: compact, keys in another order, rules sorted by priority, tag
    // prefixes sorted. Equivalent, so the plan is empty.
    let mut as_aws = reverse_keys(&configured);
    let rules = as_aws["rules"].as_array_mut().expect("rules");
    rules.reverse();
    rules[0]["selection"]["tagPrefixList"] = serde_json::json!(["release", "v"]);
    let as_aws = serde_json::to_string(&as_aws).expect("JSON");
    acc.put_lifecycle_policy(&name, &as_aws);
    assert_eq!(acc.lifecycle_policy(&name), as_aws);
    acc.tf.assert_plan_empty(&[]);

    // A real change shows.
    acc.put_lifecycle_policy(&name, &text);
    let (actions, change) = acc.planned_actions(ADDRESS);
    assert_eq!(actions, ["update"], "{}: {change:#}", acc.kind);
    acc.apply_clean();
    let returned: Value =
        serde_json::from_str(&acc.lifecycle_policy(&name)).expect("the policy is JSON");
    assert_eq!(returned, configured, "{}", acc.kind);
    acc.destroy_clean();
}

/// `value` with the keys of every object in reverse order (`preserve_order` keeps them so).
fn reverse_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reverse_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(reverse_keys).collect()),
        other => other.clone(),
    }
}
// 9. Provider default tags merge into tags_all and the repository's tags.
scenario!(default_tags_merge);
fn default_tags_merge(acc: &Acc) {
    let name = acc.name("default-tags");
    acc.config(
        DEFAULT_TAGS,
        &repository_tf(
            &name,
            r#"  tags = {
    owner = "todo-team"
    app   = "todo"
  }
"#,
        ),
    );
    acc.apply_clean();
    let expected = map(&[("env", "acc"), ("owner", "todo-team"), ("app", "todo")]);
    let state = acc.state();
    assert_eq!(
        string_map(&state["tags_all"]),
        expected,
        "{}: tags_all",
        acc.kind
    );
    assert_eq!(
        string_map(&state["tags"]),
        map(&[("owner", "todo-team"), ("app", "todo")]),
        "{}: tags",
        acc.kind
    );
    let arn = state["arn"].as_str().expect("arn").to_owned();
    assert_eq!(
        acc.repository_tags(&arn),
        expected,
        "{}: ListTagsForResource",
        acc.kind
    );
    acc.destroy_clean();
}

// 10. An invalid name fails at `terraform validate`, on the name, without any AWS call.
scenario!(invalid_name_fails_validate);
fn invalid_name_fails_validate(acc: &Acc) {
    let config = "resource \"todo_ecr_repository\" \"r\" {\n  scan_on_push = true\n  name         = \"Todo--Service\"\n}\n";
    acc.config("", config);
    let main_tf = std::fs::read_to_string(acc.tf.dir().join("main.tf")).expect("main.tf");
    let name_line = line_of(&main_tf, "Todo--Service");

    // The provider talks to a recorder instead of the emulator: it must see no request.
    let recorder = StubEndpoint::start(200, "{}");
    let mut tf = Terraform::with_endpoint(&recorder.url(), PROVIDER);
    tf.set_env("AWS_ENDPOINT_URL_ECR", Some(&recorder.url()));
    tf.write("main.tf", &main_tf);
    let validate = tf.validate_json();
    assert_eq!(validate["valid"], false, "{validate:#}");
    let diagnostics = validate["diagnostics"].as_array().expect("diagnostics");
    let diagnostic = diagnostics
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap_or_else(|| panic!("no error in {validate:#}"));
    assert_eq!(
        diagnostic["summary"], "Invalid repository name",
        "{validate:#}"
    );
    assert!(
        diagnostic["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Todo--Service")),
        "{validate:#}"
    );
    assert_eq!(diagnostic["range"]["filename"], "main.tf", "{validate:#}");
    assert_eq!(
        diagnostic["range"]["start"]["line"], name_line,
        "the diagnostic points at the name attribute: {validate:#}"
    );
    assert!(
        diagnostic["snippet"]["code"]
            .as_str()
            .is_some_and(|c| c.contains("name") && c.contains("Todo--Service")),
        "{validate:#}"
    );
    assert_eq!(recorder.requests(), 0, "validate made AWS calls");

    // Against the emulator (ministack would accept the name), apply stops before any call.
    let error = unwrap_lines(&acc.tf.apply_expect_error(&[]));
    assert!(
        error.contains("Invalid repository name"),
        "{}: {error}",
        acc.kind
    );
    assert!(error.contains("Todo--Service"), "{}: {error}", acc.kind);
    acc.assert_no_repositories();
}

// 11. The data source resolves a pushed tag to its digest and refuses a missing tag.
scenario!(image_data_source);
fn image_data_source(acc: &Acc) {
    let name = acc.name("image");
    let repository = repository_tf(&name, "  force_delete = true\n");
    acc.config("", &repository);
    acc.apply_clean();
    let digest = acc.aws.push(&name, "3f2a1bc", "data-source");
    // Another image, pushed later: by-tag lookup must not pick the newest.
    acc.aws.push(&name, "9e8d7c6", "other");

    acc.config(
        "",
        &format!(
            r#"{repository}
data "todo_ecr_image" "app" {{
  repository_name = todo_ecr_repository.r.name
  image_tag       = "3f2a1bc"
}}

data "todo_ecr_image" "by_digest" {{
  repository_name = todo_ecr_repository.r.name
  image_digest    = "{digest}"
}}
"#
        ),
    );
    acc.apply_clean();
    let url = acc.state()["repository_url"]
        .as_str()
        .expect("repository_url")
        .to_owned();
    let image = acc.tf.state_resource("data.todo_ecr_image.app");
    assert_eq!(
        image["image_digest"],
        digest.as_str(),
        "{}: {image:#}",
        acc.kind
    );
    assert_eq!(
        image["image_uri"],
        format!("{url}@{digest}").as_str(),
        "{}: {image:#}",
        acc.kind
    );
    assert!(
        image["image_tags"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "3f2a1bc")),
        "{}: {image:#}",
        acc.kind
    );
    let by_digest = acc.tf.state_resource("data.todo_ecr_image.by_digest");
    assert_eq!(by_digest["image_uri"], image["image_uri"], "{}", acc.kind);
    assert_eq!(
        by_digest["image_tags"],
        serde_json::json!(["3f2a1bc"]),
        "{}: {by_digest:#}",
        acc.kind
    );

    acc.config(
        "",
        &format!(
            r#"{repository}
data "todo_ecr_image" "app" {{
  repository_name = todo_ecr_repository.r.name
  image_tag       = "0000000"
}}
"#
        ),
    );
    let raw = acc.tf.apply_expect_error(&[]);
    let error = unwrap_lines(&raw);
    assert!(error.contains("Image tag not found"), "{}: {raw}", acc.kind);
    assert!(
        error.contains("\"0000000\""),
        "{}: the tag: {raw}",
        acc.kind
    );
    assert!(error.contains(&name), "{}: the repository: {raw}", acc.kind);
    assert!(
        error.contains("Push the image first"),
        "{}: {raw}",
        acc.kind
    );
    assert!(
        raw.contains("image_tag       = \"0000000\""),
        "{}: the diagnostic points at image_tag: {raw}",
        acc.kind
    );
    acc.config("", &repository);
    acc.destroy_clean();
}

// 12. scan_on_push true -> false on an existing repository reaches the emulator: the SDK leaves
// a false `scanOnPush` out of the request, and moto keeps the old value unless the provider
// sends the false explicitly.
scenario!(scan_on_push_turned_off);
fn scan_on_push_turned_off(acc: &Acc) {
    let name = acc.name("scan-off");
    let write = |scan: bool| {
        acc.config(
            "",
            &repository_tf(&name, &format!("  scan_on_push = {scan}\n")),
        )
    };
    let remote_scan_on_push = || {
        acc.existing_repository(&name)
            .image_scanning_configuration()
            .map(|c| c.scan_on_push())
    };
    write(true);
    acc.apply_clean();
    assert_eq!(remote_scan_on_push(), Some(true), "{}", acc.kind);
    let arn = acc.state()["arn"].clone();

    write(false);
    let (actions, change) = acc.planned_actions(ADDRESS);
    assert_eq!(actions, ["update"], "{}: {change:#}", acc.kind);
    acc.apply_clean();
    assert_eq!(
        remote_scan_on_push(),
        Some(false),
        "{}: the emulator's own view",
        acc.kind
    );
    assert_eq!(acc.state()["scan_on_push"], false, "{}", acc.kind);
    assert_eq!(acc.state()["arn"], arn, "{}: updated in place", acc.kind);
    acc.destroy_clean();
}

/// LocalStack's free core answers 501 for ECR: the error says so and names what to use instead.
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn localstack_free_core_501_is_explained() {
    require_acc();
    // The body LocalStack's free core sends for a service outside the license.
    let stub = StubEndpoint::start(
        501,
        r#"{"__type": "InternalFailure", "message": "API for service 'ecr' not yet implemented or pro feature - please check https://docs.localstack.cloud/references/coverage/ for further information: not included in your current license plan"}"#,
    );
    let tf = Terraform::with_endpoint(&stub.url(), PROVIDER);
    tf.write(
        "main.tf",
        &format!(
            "{REQUIRED_PROVIDERS}\n{}",
            repository_tf("todo-acc-localstack", "")
        ),
    );
    let raw = tf.apply_expect_error(&[]);
    let error = unwrap_lines(&raw);
    assert!(
        stub.requests() > 0,
        "the provider never called the endpoint: {raw}"
    );
    assert!(error.contains("501"), "{raw}");
    assert!(error.contains("LocalStack Pro"), "{raw}");
    assert!(error.contains("ministack"), "{raw}");
    assert!(error.contains("moto"), "{raw}");
    assert!(tf.state_addresses().is_empty(), "{raw}");
}

/// The provider block's call time limits, through the real `terraform`: `terraform validate`
/// refuses an attempt longer than its operation, on `attempt_timeout`; against an endpoint that
/// accepts connections and never answers, apply fails once `operation_timeout` is reached
/// instead of hanging (Terraform is killed, and the test fails, after 60 s).
#[test]
#[ignore = "acceptance test: needs TF_ACC=1 and the emulators (make testacc)"]
fn call_time_limits_end_a_hung_endpoint() {
    require_acc();
    // Bound, never accepted: connections queue in the backlog, requests are never answered.
    let hung = HungEndpoint::start();
    let mut tf = Terraform::with_endpoint(&hung.url(), PROVIDER);
    tf.set_timeout(Duration::from_secs(60));
    let write = |limits: &str| {
        tf.write(
            "main.tf",
            &format!(
                "{REQUIRED_PROVIDERS}\nprovider \"todo\" {{\n{limits}  max_retries = 1\n}}\n\n{}",
                repository_tf("todo-acc-hung", "")
            ),
        )
    };

    write("  attempt_timeout   = \"3m\"\n  operation_timeout = \"2m\"\n");
    let validate = tf.validate_json();
    assert_eq!(validate["valid"], false, "{validate:#}");
    let diagnostic = &validate["diagnostics"][0];
    assert_eq!(
        diagnostic["summary"], "Invalid attempt_timeout",
        "{validate:#}"
    );
    assert!(
        diagnostic["snippet"]["code"]
            .as_str()
            .is_some_and(|c| c.contains("attempt_timeout")),
        "the diagnostic points at attempt_timeout: {validate:#}"
    );

    write("  attempt_timeout   = \"1s\"\n  operation_timeout = \"3s\"\n");
    let started = std::time::Instant::now();
    let raw = tf.apply_expect_error(&[]);
    let elapsed = started.elapsed();
    let error = unwrap_lines(&raw).to_lowercase();
    assert!(
        error.contains("timeout") || error.contains("timed out"),
        "{raw}"
    );
    // 3 s of calls, plus Terraform's own start-up and the provider's.
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}: {raw}");
    drop(hung);
}
