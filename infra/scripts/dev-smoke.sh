#!/usr/bin/env bash
# Usage: dev-smoke.sh <tools-bin> <swagger-ui-dist folder>
# Starts the local stack as `make dev` does (on free ports, with a throwaway state directory),
# drives the vault, wallet, order and mandate routes through its gateway with curl, exchanges the dev API
# key for a token with the one-liner it prints, creates a scheme, a reward and an API key in it with
# `local-stack scheme`, `reward` and `apikey`, receives the README walk-through's tenant webhooks with
# `local-stack listen`, then stops it with SIGINT and checks that nothing it started
# is left running.
set -euo pipefail
tools_bin=$1
api_reference=$2
# shellcheck source=infra/scripts/dev-stack.sh
source "$(dirname "$0")/dev-stack.sh"
# The sweep every 2 s, re-queueing after 1 s: work waiting on SANDBOX is asked about at once.
start_dev_stack "$tools_bin" --schedule-interval 2 --requeue-after 1 --api-reference "$api_reference"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# The dev tenant's SANDBOX schemes and rewards, right after the token: scheme ids of 32 uppercase hex
# digits, reward ids lowercase UUIDs (two good rewards on one line, then the one whose claims fail); then
# the dev API key.
after_token=$(grep -A7 '^TOKEN=' "$out" | tail -n +2 | sed -E 's/=.*//' | paste -sd, -)
[ "$after_token" = "DEBIT_SCHEME_ID,CREDIT_SCHEME_ID,REWARD_IDS,FAILING_REWARD_ID,PUBLIC_KEY,PRIVATE_KEY,SANDBOX_WEBHOOK_SECRET" ] || fail "the lines after TOKEN= are $after_token"
for name in DEBIT_SCHEME_ID CREDIT_SCHEME_ID; do
  [ "$(grep -cE "^$name=[0-9A-F]{32}\$" "$out")" = 1 ] || fail "no single $name= line of 32 uppercase hex digits: $(grep "^$name" "$out")"
done
eval "$(grep -E '^(DEBIT|CREDIT)_SCHEME_ID=' "$out")"
[ "${DEBIT_SCHEME_ID:-}" != "${CREDIT_SCHEME_ID:-}" ] || fail "the debit and credit schemes share an id"
uuid='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
[ "$(grep -cE "^REWARD_IDS=$uuid,$uuid\$" "$out")" = 1 ] || fail "no single REWARD_IDS= line of two lowercase UUIDs: $(grep '^REWARD_IDS' "$out")"
[ "$(grep -cE "^FAILING_REWARD_ID=$uuid\$" "$out")" = 1 ] || fail "no single FAILING_REWARD_ID= line of a lowercase UUID: $(grep '^FAILING_REWARD_ID' "$out")"
eval "$(grep -E '^(REWARD_IDS|FAILING_REWARD_ID)=' "$out")"
reward_ids=$(printf '%s\n' "${REWARD_IDS:-}" | tr , '\n' | sed '/^$/d' | wc -l)
distinct_ids=$(printf '%s\n' "${REWARD_IDS:-}" "${FAILING_REWARD_ID:-}" | tr , '\n' | sed '/^$/d' | sort -u | wc -l)
[ "$reward_ids" = 2 ] && [ "$distinct_ids" = 3 ] || fail "the reward ids are not three distinct ids: REWARD_IDS=${REWARD_IDS:-} FAILING_REWARD_ID=${FAILING_REWARD_ID:-}"
# expect <status> <jq-like python expression on the body, or ""> <curl args…>
expect() {
  local status=$1 check=$2
  shift 2
  local body code
  body=$(curl -s -o - -w '\n%{http_code}' "$@")
  code=${body##*$'\n'}
  body=${body%$'\n'*}
  if [ "$code" != "$status" ]; then
    echo "FAIL: $* -> $code (expected $status): $body"; failures=$((failures + 1)); return
  fi
  # On standard input: a body may be longer than one argument can be (the OpenAPI document).
  if [ -n "$check" ] && ! python3 -c "import json,sys; b=json.load(sys.stdin); sys.exit(0 if ($check) else 1)" <<<"$body"; then
    echo "FAIL: $* -> body does not satisfy $check: ${body:0:2000}"; failures=$((failures + 1)); return
  fi
  echo "ok: $code ${*: -1}"
}
auth=(-H "Authorization: Bearer $TOKEN" -H "x-account-id: $ACCOUNT_ID" -H "x-tenant-id: $TENANT_ID")
json=(-H 'content-type: application/json')
vault=$API_URL/v2/customer-vault/smoke

expect 200 'b["status"] == "ACTIVE" and b["financialInstruments"] == []' "${auth[@]}" "$vault"
expect 202 '' -X PUT "${auth[@]}" "${json[@]}" -d '{"metadata":{"k":"v"}}' "$vault"
created=$(curl -s "${auth[@]}" "${json[@]}" -d '{"accountHolderName":"JOHN DOE","accountNumber":"99999911","sortCode":"111211"}' "$vault/uk-bank-account")
id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$created")
expect 201 '"id" in b' "${auth[@]}" "${json[@]}" -d '{"name":"John Doe","iban":"GB29NWBK60161331926819","bic":"NWBKGB2L"}' "$vault/international-bank-account"
expect 200 "b['details']['accountNumber'] == '****9911'" "${auth[@]}" "$vault/financial-instrument/$id"
expect 200 "b['id'] == '$id'" "${auth[@]}" "$API_URL/v1/customer-vault/smoke/financial-instrument/$id"
expect 200 'b["metadata"] == {"k": "v"} and len(b["financialInstruments"]) == 2' "${auth[@]}" "$API_URL/v1/customer-vault/smoke"
expect 202 '' -X POST "${auth[@]}" "${json[@]}" -d '{"reason":"smoke"}' "$API_URL/v1/customer-vault/smoke/wallet/financial-instrument/$id"
expect 200 "[i['id'] for i in b['financialInstruments']] == ['$id']" "${auth[@]}" "$API_URL/v1/customer-vault/smoke/wallet"
expect 202 '' -X DELETE "${auth[@]}" "$API_URL/v1/customer-vault/smoke/wallet/financial-instrument/$id"
orders=$API_URL/v2/order-management
payout="{\"instructionRef\":\"payout-1\",\"customerRef\":\"smoke\",\"direction\":\"Credit\",\"financialInstrumentId\":\"$id\",\"amount\":20.01,\"currency\":\"GBP\",\"country\":\"GB\",\"settledByDate\":\"2999-01-01\",\"schemeId\":\"$CREDIT_SCHEME_ID\"}"
expect 202 '' "${auth[@]}" "${json[@]}" -d "{\"orderRef\":\"smoke-order\",\"instructions\":[$payout]}" "$orders"
expect 400 'b["errors"][0]["errorCode"] == "ORDER_ALREADY_EXISTS"' "${auth[@]}" "${json[@]}" -d '{"orderRef":"smoke-order"}' "$orders"
expect 200 'b["instructionRefs"] == ["payout-1"]' "${auth[@]}" "$API_URL/v1/order-management/smoke-order"
expect 200 'b["status"] == "READY" and str(b["amount"]) == "20.01"' "${auth[@]}" "$orders/smoke-order/instruction/payout-1"
expect 204 '' -X PUT "${auth[@]}" "${json[@]}" -d '{"metadata":{"k":"v"}}' "$orders/smoke-order/instruction/payout-1"
expect 204 '' -X POST "${auth[@]}" "${json[@]}" -d '{"reason":"smoke"}' "$orders/smoke-order/instruction/payout-1/cancel"
expect 400 'b["errors"][0]["errorCode"] == "INSTRUCTION_CANCELLED"' -X PUT "${auth[@]}" "${json[@]}" -d '{"amount":1}' "$orders/smoke-order/instruction/payout-1"
# A payout due today goes through the instruction queue, the pump and the instruction worker.
paid=${payout//payout-1/payout-2}
paid=${paid//2999-01-01/$(date -u +%F)}
expect 202 '' "${auth[@]}" "${json[@]}" -d "{\"orderRef\":\"smoke-paid\",\"instructions\":[$paid]}" "$orders"
status=""
for _ in $(seq 1 90); do
  status=$(curl -s "${auth[@]}" "$orders/smoke-paid/instruction/payout-2" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("status"))')
  [ "$status" = COMPLETED ] && break
  sleep 1
done
if [ "$status" = COMPLETED ]; then echo "ok: the due payout was executed through the queue"; else
  echo "FAIL: the due payout is $status, not COMPLETED"; failures=$((failures + 1)); fi
link=$(curl -s "${auth[@]}" "$orders/smoke-paid/instruction/payout-2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["_links"]["transactions"][0]["href"])')
expect 200 'b["status"] == "SUCCESS" and str(b["netAmount"]) == "20.01"' "${auth[@]}" "$API_URL$link"
# Refund part of it through the refund queue and worker.
refund=$(curl -s "${auth[@]}" "${json[@]}" -d '{"amount":5,"reason":"smoke"}' "$API_URL${link/\/v1\//\/v2\/}/refund" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("refundId"))')
refund_status=""
for _ in $(seq 1 90); do
  refund_status=$(curl -s "${auth[@]}" "$API_URL${link/\/v1\//\/v2\/}/refund/$refund" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("status"))')
  [ "$refund_status" = COMPLETED ] && break
  sleep 1
done
if [ "$refund_status" = COMPLETED ]; then echo "ok: the refund was executed through the queue"; else
  echo "FAIL: the refund is $refund_status, not COMPLETED"; failures=$((failures + 1)); fi
expect 200 'str(b["netAmount"]) == "15.01" and b["refunds"][0]["status"] == "COMPLETED"' "${auth[@]}" "$API_URL$link"
# SANDBOX's asynchronous outcomes (docs/api.md §6) through the whole stack: SANDBOX's sender
# posts its signed webhooks to the gateway, the webhook function stores them and the event
# worker applies them; .57's lost answer is found by the worker's status query, which the sweep
# hands it.
for cents in 54 55 56 57; do
  async=${paid//payout-2/async-$cents}
  expect 202 '' "${auth[@]}" "${json[@]}" -d "{\"orderRef\":\"smoke-$cents\",\"instructions\":[${async//20.01/20.$cents}]}" "$orders"
done
# eventually <what> <order ref> <python check of i (the instruction) and t (its transaction)>
eventually() {
  local what=$1 order=$2 check=$3 instruction transaction
  for _ in $(seq 1 90); do
    instruction=$(curl -s "${auth[@]}" "$orders/$order/instruction/async-${order#smoke-}")
    transaction=$(python3 -c 'import json,sys; l=json.loads(sys.argv[1])["_links"].get("transactions") or [{}]; print(l[0].get("href", ""))' "$instruction")
    transaction=$([ -n "$transaction" ] && curl -s "${auth[@]}" "$API_URL$transaction" || echo '{}')
    if python3 -c "import json,sys; i=json.loads(sys.argv[1]); t=json.loads(sys.argv[2]); sys.exit(0 if ($check) else 1)" "$instruction" "$transaction"; then
      echo "ok: $what"; return
    fi
    sleep 1
  done
  echo "FAIL: $what: $instruction $transaction"; failures=$((failures + 1))
}
eventually "SANDBOX's payment.settled webhook completed the pending .54 payout" smoke-54 \
  'i["status"] == "COMPLETED" and t["status"] == "SUCCESS"'
eventually "SANDBOX's chargeback webhooks charged back the .55 payout" smoke-55 \
  't.get("chargebacks") and t["chargebacks"][0]["status"] == "SUCCEEDED" and t["netAmount"] == 0'
eventually "SANDBOX's chargeback webhooks rejected the .56 payout's chargeback" smoke-56 \
  't.get("chargebacks") and t["chargebacks"][0]["status"] == "FAILED" and str(t["netAmount"]) == "20.56"'
eventually "reconciliation found the .57 payout paid" smoke-57 \
  'i["status"] == "COMPLETED" and t["status"] == "SUCCESS"'
expect 200 '' -X PUT "${auth[@]}" "$vault/financial-instrument/$id/close"
expect 400 'b["errors"][0]["errorCode"] == "FINANCIAL_INSTRUMENT_INACTIVE"' -X POST "${auth[@]}" "$API_URL/v1/customer-vault/smoke/wallet/financial-instrument/$id"
expect 400 '[e["errorCode"] for e in b["errors"]] == ["ACCOUNT_HOLDER_NAME_IS_REQUIRED", "ACCOUNT_NUMBER_IS_REQUIRED", "SORT_CODE_IS_REQUIRED"]' "${auth[@]}" "${json[@]}" -d '{}' "$vault/uk-bank-account"
expect 401 'b["detail"] == "Missing bearer token"' "$vault"
reader=$("$local_stack" token --state-dir "$state" --account "$ACCOUNT_ID" --tenant "$TENANT_ID" --roles tenant-transaction-read)
expect 403 'b["status"] == 403' -X POST -H "Authorization: Bearer $reader" -H "x-account-id: $ACCOUNT_ID" -H "x-tenant-id: $TENANT_ID" "$vault/forget"
expired=$("$local_stack" token --state-dir "$state" --account "$ACCOUNT_ID" --tenant "$TENANT_ID" --roles tenant-admin --ttl -60)
expect 401 'b["detail"] == "Token expired"' -H "Authorization: Bearer $expired" -H "x-account-id: $ACCOUNT_ID" -H "x-tenant-id: $TENANT_ID" "$vault"
expect 404 'b["title"] == "Not Found"' "${auth[@]}" "$API_URL/v9/nowhere"
mandates=$API_URL/v2/mandates
# Tenant webhooks: make dev allows loopback endpoints, and seals their secrets with the local key.
notifications=$API_URL/v1/notifications/webhooks
expect 201 'b["status"] == "ENABLED" and b["secret"].startswith("whsec_")' "${auth[@]}" "${json[@]}" -d '{"url":"http://127.0.0.1:9/hook","events":["*"]}' "$notifications"
expect 400 'b["errors"][0]["errorCode"] == "WEBHOOK_URL_NOT_ALLOWED"' "${auth[@]}" "${json[@]}" -d '{"url":"https://169.254.169.254/","events":["*"]}' "$notifications"
expect 200 'len(b["results"]) == 1 and "secret" not in b["results"][0]' "${auth[@]}" "$notifications"

expect 201 'b["network"] == "SEPA"' "${auth[@]}" "${json[@]}" -d '{"creditorProfileRef":"smoke-a","profileName":"Smoke","identifier":"FR72ZZZ123456","name":"Smoke SA"}' "$mandates/creditor-profiles/sepa"
expect 201 '' "${auth[@]}" "${json[@]}" -d '{"creditorProfileRef":"smoke-b","profileName":"Smoke","identifier":"AT61ZZZ01234567890","name":"Smoke AG"}' "$mandates/creditor-profiles/sepa"
expect 200 'b["pageSize"] == 1 and b["currentPage"] == 2 and [p["creditorProfileRef"] for p in b["results"]] == ["smoke-b"]' "${auth[@]}" "$mandates/creditor-profiles?from=1&take=1"
expect 400 'b["title"] == "BAD_REQUEST" and b["errors"][0]["title"] == "TAKE_OUT_OF_RANGE"' "${auth[@]}" "$mandates/creditor-profiles?take=0"
expect 400 'b["errors"][0]["metadata"]["PropertyName"] == "Identifier"' "${auth[@]}" "${json[@]}" -d '{"creditorProfileRef":"smoke-c","profileName":"Smoke","identifier":"FR73ZZZ123456","name":"Smoke SA"}' "$mandates/creditor-profiles/sepa"
closed='{"customerRef":"smoke","creditorProfileRef":"smoke-a","debtor":{"firstName":"Jean","lastName":"Dupont","address":{"country":"FR"},"iban":"FR1420041010050500013M02606","accountHolderName":"JEAN DUPONT CLOSED"}}'
failed_id=$(curl -s "${auth[@]}" "${json[@]}" -d "$closed" "$mandates/sepa" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("mandateId"))')
mandate_status=""
for _ in $(seq 1 90); do
  mandate_status=$(curl -s "${auth[@]}" "$mandates/sepa/$failed_id" | python3 -c 'import json,sys; b=json.load(sys.stdin); print(b.get("status"), (b.get("inactiveReason") or {}).get("reasonCode"))')
  [ "$mandate_status" = "Failed AccountClosed" ] && break
  sleep 1
done
[ "$mandate_status" = "Failed AccountClosed" ] && echo "ok: a closed account's mandate failed through the queue" || fail "the CLOSED mandate is $mandate_status"
expect 201 'b["mandateId"] and b["financialInstrumentId"] is None' "${auth[@]}" "${json[@]}" -d '{"customerRef":"smoke"}' "$mandates/sepa/draft"
expect 400 '[e["metadata"]["PropertyName"] for e in b["errors"]] == ["CreditorProfileRef", "Debtor"]' "${auth[@]}" "${json[@]}" -d '{"customerRef":"smoke"}' "$mandates/sepa"
# A claim of the FAILING reward, followed at its Location: FAILED, and so is its payout.
expect 202 '' "${auth[@]}" "${json[@]}" -d '{"orderRef":"smoke-reward","instructions":[{"instructionRef":"r1","customerRef":"smoke","direction":"Credit","amount":5,"currency":"EUR","country":"DE","settledByDate":"2999-01-01"}]}' "$orders"
expect 201 '' -X POST "${auth[@]}" "$orders/smoke-reward/instruction/r1/authorize-reward"
reward_location=$(curl -s -D - -o /dev/null "${auth[@]}" "${json[@]}" -d "{\"rewardId\":\"${FAILING_REWARD_ID:-}\"}" "$orders/smoke-reward/instruction/r1/claim-reward" | tr -d '\r' | sed -n 's/^location: //Ip')
case $reward_location in "$API_URL"/v1/customer-vault/smoke/reward/*) echo "ok: the claim's Location is $reward_location" ;; *) fail "the claim's Location is '$reward_location'" ;; esac
reward_status=""
for _ in $(seq 1 90); do
  reward_status=$(curl -s "${auth[@]}" "$reward_location" | python3 -c 'import json,sys; b=json.load(sys.stdin); print(b.get("status"), b.get("data"))' 2>/dev/null)
  [ "$reward_status" = "FAILED None" ] && break
  sleep 1
done
[ "$reward_status" = "FAILED None" ] && echo "ok: the FAILING reward failed through the queue" || fail "the FAILING reward is $reward_status"
expect 200 'b["status"] == "FAILED" and b["failed"]["errorCode"] == "REWARD_UNAVAILABLE"' "${auth[@]}" "$orders/smoke-reward/instruction/r1"
expect 200 '' -X POST "${auth[@]}" "$vault/forget"
expect 200 'b["status"] == "FORGOTTEN" and all(i["details"] is None for i in b["financialInstruments"])' "${auth[@]}" "$vault"

# The dev API key (docs/api.md §4): its two lines, then the banner's one-liner run exactly as printed
# after the documented eval, in an otherwise empty environment. A curl function defined before it records
# the request, so the very same request (same nonce) can be sent again.
[ "$(grep -cE '^PUBLIC_KEY=[A-Za-z0-9._-]{1,64}$' "$out")" = 1 ] || fail "no single PUBLIC_KEY= line: $(grep -c '^PUBLIC_KEY' "$out") found"
[ "$(grep -cE '^PRIVATE_KEY=[A-Za-z0-9+/]{43}=$' "$out")" = 1 ] || fail "no single PRIVATE_KEY= line of base64 of 32 bytes"
PUBLIC_KEY='' PRIVATE_KEY=''
eval "$(grep -E '^(PUBLIC_KEY|PRIVATE_KEY)=' "$out")"
one_liners=$(grep -cF '/v2/identity/hmac' "$out" || true)
[ "$one_liners" = 1 ] || fail "$one_liners lines of $out name /v2/identity/hmac, expected the one-liner"
{
  printf 'curl() { printf "%%s\\n" "$@" >%q; command curl "$@"; }\n' "$state/exchange.args"
  printf '%s\n' "eval \"\$(grep -E '^(API_URL|PUBLIC_KEY|PRIVATE_KEY)=' $out)\""
  grep -F '/v2/identity/hmac' "$out" | head -n 1
} >"$state/exchange.sh"
exchanged=$(env -i PATH="$PATH" bash "$state/exchange.sh" 2>"$state/exchange.err" || true)
check_token() { # check_token <body> <roles as a JSON list>: {accessToken, expires}, expiring in about an hour
  python3 - "$1" "$2" <<'PY'
import base64, json, sys, time
body = json.loads(sys.argv[1])
assert set(body) == {"accessToken", "expires"}, body
part = lambda p: json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
header, claims = (part(p) for p in body["accessToken"].split(".")[:2])
expires = body["expires"]
assert isinstance(expires, int) and abs(expires - (time.time() + 3600) * 1000) < 120_000, expires
assert claims["exp"] * 1000 == expires, (claims["exp"], expires)
assert claims["role"] == json.loads(sys.argv[2]), claims["role"]
print(header["kid"])
PY
}
if kid=$(check_token "$exchanged" '["tenant-admin"]' 2>"$state/check.err"); then
  echo "ok: the printed one-liner exchanged the dev API key for a token (kid $kid)"
else
  fail "the printed one-liner answered '$exchanged' ($(cat "$state/exchange.err" "$state/check.err"))"
fi
access=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("accessToken", ""))' "$exchanged" 2>/dev/null || true)
expect 200 'b["status"] in ("ACTIVE", "FORGOTTEN")' -H "Authorization: Bearer $access" -H "x-account-id: $ACCOUNT_ID" -H "x-tenant-id: $TENANT_ID" "$vault"
if grep -q '^Authorization: Hmac ' "$state/exchange.args" 2>/dev/null; then
  mapfile -t replay <"$state/exchange.args"
  expect 401 'b["status"] == 401' "${replay[@]}"
else
  fail "the one-liner's request was not recorded"
fi
expect 200 "'${kid:-none}' in [k['kid'] for k in b['keys']] and all(k['kty'] == 'EC' for k in b['keys'])" "$API_URL/.well-known/jwks.json"
# The tokens make dev and make token print name the same key as the JWKS publishes.
header_kid() { python3 -c 'import base64,json,sys; h=sys.argv[1].split(".")[0]; print(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4))).get("kid", "none"))' "$1"; }
expect 200 "'$(header_kid "$TOKEN")' in [k['kid'] for k in b['keys']]" "$API_URL/.well-known/jwks.json"
expect 200 "'$(header_kid "$reader")' in [k['kid'] for k in b['keys']]" "$API_URL/.well-known/jwks.json"
expect 200 'b["jwks_uri"].endswith("/.well-known/jwks.json")' "$API_URL/.well-known/openid-configuration"
# hmac_auth <public key> <base64 private key> <nonce>: an Authorization header as docs/api.md §4 says.
hmac_auth() {
  local ts hexkey
  ts=$(date +%s)
  hexkey=$(printf '%s' "$2" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  printf 'Authorization: Hmac %s:%s:%s:%s' "$1" "$3" "$ts" \
    "$(printf '%s' "$1:$3:$ts:" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -binary | base64)"
}
new_nonce() { od -An -v -N16 -tx1 /dev/urandom | tr -d ' \n'; }
# A signature by another key is refused, and does not spend the nonce: the right one then passes.
nonce=$(new_nonce)
other_key=$(head -c 32 /dev/urandom | base64)
expect 401 'b["status"] == 401' -X POST -H "$(hmac_auth "$PUBLIC_KEY" "$other_key" "$nonce")" "$API_URL/v2/identity/hmac"
expect 201 '"accessToken" in b' -X POST -H "$(hmac_auth "$PUBLIC_KEY" "$PRIVATE_KEY" "$nonce")" "$API_URL/v2/identity/hmac"
# exchange <public key> <private key>: the answer to a fresh signed request.
exchange() { curl -s -X POST -H "$(hmac_auth "$1" "$2" "$(new_nonce)")" "$API_URL/v2/identity/hmac"; }

# `local-stack apikey` finds the running stack like `scheme`: a read-only key exchanges for a token
# with that role only; `apikey-disable` ends its exchanges.
apikey_out=$("$local_stack" apikey --state-dir "$state" --account "$ACCOUNT_ID" --tenant "$TENANT_ID" --roles tenant-transaction-read 2>"$state/apikey.err" || true)
if [[ $apikey_out =~ ^PUBLIC_KEY=[A-Za-z0-9._-]+$'\n'PRIVATE_KEY=[A-Za-z0-9+/]{43}=$ ]]; then
  reader_public=$(printf '%s\n' "$apikey_out" | sed -n 's/^PUBLIC_KEY=//p')
  reader_private=$(printf '%s\n' "$apikey_out" | sed -n 's/^PRIVATE_KEY=//p')
  reader_answer=$(exchange "$reader_public" "$reader_private")
  if check_token "$reader_answer" '["tenant-transaction-read"]' >/dev/null 2>"$state/check.err"; then
    echo "ok: local-stack apikey gave a key that exchanges for a tenant-transaction-read token"
  else
    fail "the new API key exchanged for '$reader_answer' ($(cat "$state/check.err"))"
  fi
  reader_token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("accessToken", ""))' "$reader_answer" 2>/dev/null || true)
  reader_auth=(-H "Authorization: Bearer $reader_token" -H "x-account-id: $ACCOUNT_ID" -H "x-tenant-id: $TENANT_ID")
  expect 200 'b["status"] == "ACTIVE"' "${reader_auth[@]}" "$API_URL/v2/customer-vault/smoke-apikey"
  expect 403 'b["status"] == 403' -X PUT "${reader_auth[@]}" "${json[@]}" -d '{"metadata":{"k":"v"}}' "$API_URL/v2/customer-vault/smoke-apikey"
  disabled=$("$local_stack" apikey-disable --state-dir "$state" --public-key "$reader_public" 2>"$state/apikey.err" || true)
  [ "$disabled" = "DISABLED=$reader_public" ] || fail "apikey-disable printed '$disabled': $(cat "$state/apikey.err")"
  expect 401 'b["status"] == 401' -X POST -H "$(hmac_auth "$reader_public" "$reader_private" "$(new_nonce)")" "$API_URL/v2/identity/hmac"
else
  fail "apikey printed '${apikey_out%%PRIVATE_KEY=*}…': $(cat "$state/apikey.err")"
fi
if "$local_stack" apikey-disable --state-dir "$state" --public-key "no-such-key" >/dev/null 2>&1; then
  fail "apikey-disable succeeded for an unknown key"
else
  echo "ok: apikey-disable refuses an unknown key"
fi
# Private keys reach no log: the API keys' (shown once, on standard output) and the signing key's, which
# only the functions' env file holds, readable by its owner only.
signing_key=$(grep -v '^-----' "$state/dev-signing-key.pem" | tr -d '\n')
for secret in "$PRIVATE_KEY" "${reader_private:-}" "$signing_key"; do
  if [ -n "$secret" ] && grep -qF -- "$secret" "$err" "$state/moto.log"; then fail "a private key appears in a log"; fi
done
python3 -c 'import os, sys; sys.exit(any(os.stat(p).st_mode & 0o077 for p in sys.argv[1:]))' \
  "$state/functions.env" "$state/apikey-kek.key" "$state/dev-apikey.json" \
  || fail "functions.env, apikey-kek.key or dev-apikey.json is open to others"

# `local-stack scheme` finds the running stack's moto through the state dir.
scheme() { "$local_stack" scheme --state-dir "$state" --account "$ACCOUNT_ID" --tenant "$TENANT_ID" "$@"; }
if created=$(scheme --direction credit --currencies EUR 2>"$state/scheme.err"); then
  if [ "$(printf '%s\n' "$created" | wc -l)" = 1 ] && [[ $created =~ ^SCHEME_ID=[0-9A-F]{32}$ ]]; then
    echo "ok: scheme ${created#SCHEME_ID=}"
  else
    fail "scheme printed: $created"
  fi
else
  fail "scheme --direction credit --currencies EUR failed: $(cat "$state/scheme.err")"
fi
if refused=$(scheme --direction credit --currencies EURO 2>"$state/scheme.err"); then
  fail "scheme accepted the currency EURO: $refused"
elif [ -n "$refused" ] || ! grep -q 'currencies' "$state/scheme.err"; then
  fail "scheme with the currency EURO: printed '$refused', said: $(cat "$state/scheme.err")"
else
  echo "ok: scheme refuses the currency EURO"
fi

# `local-stack reward` finds it the same way.
reward() { "$local_stack" reward --state-dir "$state" --account "$ACCOUNT_ID" --tenant "$TENANT_ID" "$@"; }
if created=$(reward --name "Smoke voucher" --currencies EUR,GBP 2>"$state/reward.err"); then
  if [ "$(printf '%s\n' "$created" | wc -l)" = 1 ] && [[ $created =~ ^REWARD_ID=$uuid$ ]]; then
    echo "ok: reward ${created#REWARD_ID=}"
  else
    fail "reward printed: $created"
  fi
else
  fail "reward --name 'Smoke voucher' --currencies EUR,GBP failed: $(cat "$state/reward.err")"
fi
if refused=$(reward --name "Smoke voucher" --currencies EUR,XYZ 2>"$state/reward.err"); then
  fail "reward accepted the currency XYZ: $refused"
elif [ -n "$refused" ] || ! grep -q 'currencies' "$state/reward.err"; then
  fail "reward with the currency XYZ: printed '$refused', said: $(cat "$state/reward.err")"
else
  echo "ok: reward refuses the currency XYZ"
fi

# The walk-throughs (README.md and docs/local-development.md), exactly as written, against this
# stack's output: each must print the expected lines, in order.
walkthrough() {
  local document=$1 marker=$2
  shift 2
  sed -n "/<!-- $marker:start -->/,/<!-- $marker:end -->/p" "$document" | sed '/^```/d; /^<!--/d' \
    | sed "s#/tmp/dev.out#$out#" >"$state/$marker.sh"
  bash "$state/$marker.sh" >"$state/$marker.out" 2>&1 || true
  if python3 - "$state/$marker.out" "$@" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
expected = sys.argv[2:]
position = 0
for line in lines:
    if position < len(expected) and line == expected[position]:
        position += 1
sys.exit(0 if position == len(expected) else 1)
PY
  then echo "ok: $document $marker"; else
    echo "FAIL: $document $marker printed:"; cat "$state/$marker.out"; failures=$((failures + 1)); fi
}
# `make listen` beside the README's walk-through, as the README shows it: the payout's and the
# refund's events arrive signed, a test event too, and Ctrl-C removes the endpoint.
"$local_stack" listen --state-dir "$state" >"$state/listen.out" 2>"$state/listen.err" &
listen_pid=$!
for _ in $(seq 1 30); do grep -q '^listening on ' "$state/listen.out" && break; sleep 1; done
listener=$(sed -n 's/^listening on .* as webhook \([0-9a-f-]*\) .*/\1/p' "$state/listen.out")
[ -n "$listener" ] || fail "make listen did not start: $(cat "$state/listen.out" "$state/listen.err")"
walkthrough README.md walkthrough COMPLETED 80.25
expect 202 '' -X POST "${auth[@]}" "$notifications/$listener/test"
for event in instruction.completed refund.completed webhook.test; do
  for _ in $(seq 1 30); do grep -qE "^$event evt_[0-9a-f]{32} signature verified\$" "$state/listen.out" && break; sleep 1; done
  grep -qE "^$event evt_[0-9a-f]{32} signature verified\$" "$state/listen.out" \
    && echo "ok: make listen printed $event, its signature verified" \
    || fail "make listen did not print a verified $event: $(cat "$state/listen.out")"
done
kill -INT "$listen_pid" 2>/dev/null || true
wait "$listen_pid" 2>/dev/null || true
grep -q "^removed webhook $listener\$" "$state/listen.out" || fail "make listen did not remove its endpoint: $(cat "$state/listen.err")"
expect 404 'b["errors"][0]["errorCode"] == "WEBHOOK_NOT_FOUND"' "${auth[@]}" "$notifications/$listener"
walkthrough docs/local-development.md mandate-walkthrough 201 Active MANDATE:SEPA_DIRECT_DEBIT 202 COMPLETED
walkthrough docs/local-development.md reward-walkthrough 202 201 SETTLED "Card number" COMPLETED
walkthrough docs/local-development.md webhook-walkthrough 202 202 401 PENDING SUCCEEDED 50.25

# A method a group does not serve on a path it serves: the group's own function answers 405 in
# its format, not the $default function's 404.
expect 405 'b["title"] == "Method Not Allowed"' -X DELETE "${auth[@]}" "$orders/smoke-order"
expect 405 '' -X PATCH "${auth[@]}" "$API_URL/v2/mandates/creditor-profiles"
expect 405 '' -X POST "${auth[@]}" "$API_URL/v1/customer-vault/smoke/wallet"
expect 405 '' -X DELETE "${auth[@]}" "$API_URL/v1/notifications/webhooks"
expect 405 '' -X GET "$API_URL/v2/identity/hmac"
# The API reference: the document without a token, and the viewer at the printed DOCS_URL.
grep -qx "DOCS_URL=$API_URL/docs" "$out" || fail "no DOCS_URL=$API_URL/docs line"
expect 200 'b["openapi"] == "3.1.0" and "/v2/order-management" in b["paths"]' "$API_URL/openapi.json"
expect 200 "" "$API_URL/docs"
expect 200 "" "$API_URL/docs/swagger-ui-bundle.js"
# The sealing migration finds the running stack as `make migrate-seal` does; all of this stack's
# personal data was sealed when written.
sealed=$("$local_stack" seal-stored --state-dir "$state") || fail "seal-stored failed"
grep -qx 'SEALED=0' <<<"$sealed" || fail "seal-stored sealed what was already sealed: $sealed"
echo "ok: seal-stored ($(tr '\n' ' ' <<<"$sealed"))"

stop_dev_stack
trap 'rm -rf "$state"' EXIT
# Gateway, moto and cargo lambda watch must all be gone: nothing may still listen on their ports.
for port in "${ports[@]}"; do
  if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$port" 2>/dev/null; then
    echo "FAIL: port $port still answers after SIGINT"; failures=$((failures + 1))
  fi
done
if pgrep -f -- "$state" >/dev/null; then
  echo "FAIL: processes of this stack left running after SIGINT"; failures=$((failures + 1))
fi
# The stopped stack is no longer recorded, so `scheme` refuses at once instead of writing nowhere.
[ ! -e "$state/dev-endpoints.json" ] || fail "dev-endpoints.json left after SIGINT"
if scheme --direction debit >/dev/null 2>&1; then fail "scheme succeeded with the stack stopped"; fi
if reward --name "Smoke voucher" >/dev/null 2>&1; then fail "reward succeeded with the stack stopped"; fi
if "$local_stack" apikey --state-dir "$state" --account "$ACCOUNT_ID" --tenant "$TENANT_ID" --roles tenant-admin >/dev/null 2>&1; then
  fail "apikey succeeded with the stack stopped"
fi
[ "$failures" = 0 ] || { echo "dev-smoke: $failures failed"; exit 1; }
echo "dev-smoke: the local stack served every route"
