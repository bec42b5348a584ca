#!/usr/bin/env bash
# Submits a PluginMoE recipe profile to Slurm as three dependent jobs over shared storage:
#   1. seed     one job: `pluginmoe run --stages seed` (the dense seed every expert starts from);
#   2. branch   an array job, one task per domain: `pluginmoe run --stages branch --domain <d>` (branch-array.sbatch);
#   3. recipe   one job, started when every array task succeeded: the profile's remaining stages (upcycle, finetune,
#               ..., report); seed and branch are skipped as complete.
# All of them use the same run folder, which must be on storage every node mounts (NFS, Lustre, ...): the experts
# move between jobs as files in that folder (RUN_DIR/branch/<domain>/model), nothing is copied.
# Usage: edit the block below (or set the variables), then run `bash deploy/slurm/submit-recipe.sh` on a login node.
set -euo pipefail

# ---- EDIT: what to run and where ------------------------------------------------------------------------------
PROFILE=${PROFILE:-quickstart-recipe}                    # profile name or path to its .json (readable on every node)
RUN_DIR=${RUN_DIR:-/shared/pluginmoe/runs/recipe}        # run folder on shared storage
DOMAINS=${DOMAINS:-"python licenses c-headers"}          # the profile's domains, space-separated (a wrong name is
                                                         # refused with the list of the real ones)
PLUGINMOE=${PLUGINMOE:-pluginmoe}                        # the CLI on the compute nodes (dotnet tool or a path)
CPUS_PER_TASK=${CPUS_PER_TASK:-8}                        # cores per job; PluginMoE uses all cores it is given
MEM=${MEM:-16G}
TIME=${TIME:-04:00:00}
EXTRA_SBATCH=${EXTRA_SBATCH:-}                           # e.g. "--partition=cpu --account=myproject"
# ----------------------------------------------------------------------------------------------------------------

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
read -r -a domains <<< "$DOMAINS"
count=${#domains[@]}
if (( count == 0 )); then echo "submit-recipe.sh: DOMAINS is empty" >&2; exit 2; fi
mkdir -p "$RUN_DIR/slurm"
export PROFILE RUN_DIR DOMAINS PLUGINMOE
common=(--parsable --cpus-per-task="$CPUS_PER_TASK" --mem="$MEM" --time="$TIME" --export=ALL)
read -r -a extra <<< "$EXTRA_SBATCH"

seed=$(sbatch "${common[@]}" "${extra[@]}" --job-name=pluginmoe-seed --output="$RUN_DIR/slurm/seed-%j.out" \
  "$here/recipe.sbatch" --stages seed)
branch=$(sbatch "${common[@]}" "${extra[@]}" --job-name=pluginmoe-branch --array="0-$((count - 1))" \
  --dependency="afterok:$seed" --output="$RUN_DIR/slurm/branch-%A-%a.out" "$here/branch-array.sbatch")
rest=$(sbatch "${common[@]}" "${extra[@]}" --job-name=pluginmoe-recipe --dependency="afterok:$branch" \
  --output="$RUN_DIR/slurm/recipe-%j.out" "$here/recipe.sbatch")
echo "submitted: seed $seed, branch array $branch ($count tasks: $DOMAINS), recipe $rest; run folder $RUN_DIR"
