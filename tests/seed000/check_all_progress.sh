#!/bin/bash
# check_all_progress.sh

for work_dir in ./logs/imports/*/; do
    echo "=== $(basename "$work_dir") ==="
    python -m spdatalab.cli process-bbox \
        --input "output/$(basename "$work_dir")_dataset.parquet" \
        --show-stats \
        --work-dir "$work_dir"
    echo
done
