#!/usr/bin/env bash
# The public ledger's checkpoint signing key: an ECDSA P-256 private key, PKCS#8 DER in base64 on one line (the form an
# azd environment value and a Key Vault secret keep without line breaks). azd runs this before provisioning
# (azure.yaml): it makes the key once per environment into LEDGER_SIGNING_KEY, which infra/main.bicep stores in the
# Key Vault. An existing key is kept: a new one would start a new key id, and donors' saved checkpoints name the old.
#   scripts/ledger-key.sh           make the key for the current azd environment unless it has one
#   scripts/ledger-key.sh --print   print a new key and set nothing (for a deployment without azd)
set -euo pipefail

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 | openssl pkcs8 -topk8 -nocrypt -outform DER | base64 -w0; }

if [[ "${1:-}" == "--print" ]]; then new_key; echo; exit 0; fi

if azd env get-value LEDGER_SIGNING_KEY >/dev/null 2>&1; then
  echo "ledger signing key: the environment has one, kept"
else
  azd env set LEDGER_SIGNING_KEY "$(new_key)" >/dev/null
  echo "ledger signing key: made a new ECDSA P-256 key into LEDGER_SIGNING_KEY (stored in Key Vault at provisioning)"
fi
