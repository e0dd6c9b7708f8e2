#!/usr/bin/env bash
# The whole workflow on a laptop, against ministack (a LocalStack-compatible emulator) on
# loopback: a registry managed apart from the deployment, an image published with the short git
# SHA as its tag, that tag passed to the deployment at apply time, a roll forward, a rollback,
# the refusal of a tag that was never pushed, and a clean teardown. Run by `make demo` (which
# builds the provider and installs the tools first). Any failed step stops the demo.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
work="$root/.demo"
python="$tools/venv/bin/python"
terraform="$tools/bin/terraform"

step=0
say() { step=$((step + 1)); printf '\n\033[1m== %d. %s\033[0m\n' "$step" "$*"; }
proof() { printf '   -> %s\n' "$*"; }
fail() { printf '\nDEMO FAILED: %s\n' "$*" >&2; exit 1; }

[ -x "$terraform" ] || fail "run make tools first"
[ -x "$root/target/debug/terraform-provider-todo" ] || fail "run make build first"

# A fresh working folder each run: state, Terraform data and the emulator's files.
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work/ministack"

port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
say "Start ministack on 127.0.0.1:$port (LocalStack-compatible; ECS tasks simulated, no Docker)"
BIND_HOST=127.0.0.1 GATEWAY_PORT=$port TMPDIR="$work/ministack" S3_DATA_DIR="$work/ministack/s3" \
  IOT_MTLS_ENABLED=0 SFTP_ENABLED=0 \
  DOCKER_HOST=unix:///nonexistent.sock "$tools/venv/bin/ministack" >"$work/ministack.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 100); do
  if "$python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/_ministack/health', timeout=1)" 2>/dev/null; then
    break
  fi
  kill -0 "$emulator_pid" 2>/dev/null || fail "ministack exited: $(tail -5 "$work/ministack.log")"
  sleep 0.2
done
proof "ministack is up (pid $emulator_pid)"

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/todo/todo" = "$root/target/debug"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc"

tf() { # tf <config> <command> [args...]: each configuration keeps its own state in .demo/
  local config=$1; shift
  local command=$1; shift
  local flags=(-no-color)
  case "$command" in apply | plan | destroy | init) flags+=(-input=false) ;; esac
  TF_DATA_DIR="$work/$config.terraform" "$terraform" -chdir="$root/examples/$config" "$command" \
    "${flags[@]}" "$@"
}
tf_state() { local config=$1 command=$2; shift 2; tf "$config" "$command" -state="$work/$config.tfstate" "$@"; }

# What the emulator itself reports the service runs (not what Terraform believes).
running_image() {
  "$python" - <<'PY'
import boto3
ecs = boto3.client("ecs")
svc = ecs.describe_services(cluster="todo", services=["todo-service-demo"])["services"][0]
td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
print(f'{svc["serviceArn"]} revision {td["revision"]} image {td["containerDefinitions"][0]["image"]}')
PY
}

sha=$(git -C "$root" rev-parse --short HEAD)
# The next build's tag: the short SHA a new commit on top of HEAD gets (nothing is committed).
next_sha=$(git -C "$root" commit-tree "HEAD^{tree}" -p HEAD -m "demo: next build" | cut -c1-${#sha})

say "Create the registry (examples/registry, its own state), as a CI pipeline's one-time set-up"
tf_state registry apply -auto-approve -var force_delete=true >"$work/registry-apply.log" || { cat "$work/registry-apply.log"; fail "registry apply"; }
repository_url=$(tf_state registry output -raw repository_url)
proof "repository_url = $repository_url"

say "Publish the image for this commit: tag $sha (git rev-parse --short HEAD)"
digest=$("$python" "$root/scripts/publish-image.py" todo-service "$sha")
proof "pushed $repository_url:$sha ($digest) with ECR PutImage; with Docker: docker push $repository_url:$sha"

say "Deploy it: terraform apply -var image_tag=$sha (examples/app)"
tf app init >"$work/app-init.log" || { cat "$work/app-init.log"; fail "init"; }
tf_state app apply -auto-approve -var "image_tag=$sha" | grep -E '^(Apply|Plan|module|todo|data)' || fail "apply $sha"
first=$(running_image)
proof "ECS runs: $first"
case "$first" in *"image $repository_url:$sha") ;; *) fail "the service does not run $sha" ;; esac
arn=${first%% *}

say "Publish the next build ($next_sha) and roll forward with the same command"
"$python" "$root/scripts/publish-image.py" todo-service "$next_sha" >/dev/null
tf_state app apply -auto-approve -var "image_tag=$next_sha" | grep -E '^(Apply|Plan|  # )' || fail "apply $next_sha"
second=$(running_image)
proof "ECS runs: $second"
case "$second" in "$arn revision "*" image $repository_url:$next_sha") ;; *) fail "roll forward did not update $arn in place" ;; esac

say "Roll back: terraform apply -var image_tag=$sha"
tf_state app apply -auto-approve -var "image_tag=$sha" | grep -E '^(Apply|Plan|  # )' || fail "rollback"
third=$(running_image)
proof "ECS runs: $third"
case "$third" in "$arn revision "*" image $repository_url:$sha") ;; *) fail "rollback did not update $arn in place" ;; esac
revision() { echo "$1" | awk '{print $3}'; }
proof "same service ARN throughout; the task definition revision moved $(revision "$first") -> $(revision "$second") -> $(revision "$third")"

say "Try a tag that was never pushed: the plan refuses it before anything changes"
if tf_state app plan -var image_tag=0000000 >"$work/refused.log" 2>&1; then
  fail "the plan accepted an unpushed tag"
fi
grep -A9 'Error:' "$work/refused.log" | sed 's/^/   | /'
grep -q '"0000000"' "$work/refused.log" || fail "the error does not name the tag"
[ "$(running_image)" = "$third" ] || fail "the service changed"
proof "refused; the service still runs $sha"

say "Tear down: destroy the app, then the registry"
tf_state app destroy -auto-approve -var "image_tag=$sha" | grep -E '^(Destroy)' || fail "destroy app"
tf_state registry destroy -auto-approve -var force_delete=true | grep -E '^(Destroy)' || fail "destroy registry"
left=$("$python" - <<'PY'
import boto3
ecs, ecr = boto3.client("ecs"), boto3.client("ecr")
try:
    services = ecs.describe_services(cluster="todo", services=["todo-service-demo"]).get("services", [])
except ecs.exceptions.ClusterNotFoundException:
    services = []
active = [s["serviceName"] for s in services if s["status"] == "ACTIVE"]
repos = [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
print(" ".join(active + repos))
PY
)
[ -z "$left" ] || fail "left behind: $left"
proof "no active service, no repository left"

cleanup
emulator_pid=""
say "Done: ministack stopped; state and logs are in .demo/"
