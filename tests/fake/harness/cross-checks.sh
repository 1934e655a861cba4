#!/bin/bash
# A stand-in for harness/cross-checks.sh in the flow test: no new
# warnings for any architecture.
exit 0
