#!/bin/bash
# auto_retry.sh

DATASET="$1"
WORK_DIR="$2"
MAX_RETRIES=3

for i in $(seq 1 $MAX_RETRIES); do
    echo "=== 重试第 $i 次 ==="
    
    # 检查失败数量
    if [ -f "$WORK_DIR/failed_tokens.parquet" ]; then
        FAILED_COUNT=$(python -c "
import pandas as pd
try:
    df = pd.read_parquet('$WORK_DIR/failed_tokens.parquet')
    print(len(df))
except:
    print(0)
")
        
        if [ "$FAILED_COUNT" -eq 0 ]; then
            echo "没有失败记录，退出重试"
            break
        fi
        
        echo "发现 $FAILED_COUNT 个失败记录，开始重试..."
        
        # 重试失败数据
        python -m spdatalab.cli process-bbox \
            --input "$DATASET" \
            --retry-failed \
            --batch 200 \
            --work-dir "$WORK_DIR"
    else
        echo "没有失败记录文件，退出重试"
        break
    fi
    
    sleep 10
done

echo "重试完成"
