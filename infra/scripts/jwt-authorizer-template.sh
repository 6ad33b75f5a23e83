#!/usr/bin/env bash
# Usage: jwt-authorizer-template.sh [template] > variant.yaml
# Prints the SAM template with API Gateway's JWT authorizer in front of every token-guarded
# route (the identity routes keep Authorizer: NONE). SAM cannot make DefaultAuthorizer depend on
# a parameter, so the option is this variant of the one template rather than a second template.
set -euo pipefail
template=${1:-infra/template.yaml}
grep -q '# jwt-authorizer: ' "$template" || { echo "no jwt-authorizer marker in $template" >&2; exit 1; }
sed -E 's/^( *)# jwt-authorizer: /\1/' "$template"
