#!/bin/bash
# monitor_progress.sh

WORK_DIR="$1"
DATASET="$2"

if [ -z "$WORK_DIR" ] || [ -z "$DATASET" ]; then
    echo "用法: $0 <work_dir> <dataset_file>"
    exit 1
fi

while true; do
    clear
    echo "=== 处理进度监控 ==="
    echo "时间: $(date)"
    echo "工作目录: $WORK_DIR"
    echo

    if [ -f "$WORK_DIR/progress.json" ]; then
        python -c "
import json
with open('$WORK_DIR/progress.json') as f:
    data = json.load(f)
processed = data.get('processed_scenes', 0)
total = data.get('total_scenes', 1)
percentage = (processed / total) * 100
print(f'进度: {processed:,}/{total:,} ({percentage:.1f}%)')
print(f'成功: {data.get(\"successful_count\", 0):,}')
print(f'失败: {data.get(\"failed_count\", 0):,}')
print(f'当前批次: {data.get(\"current_batch\", 0)}')
print(f'更新时间: {data.get(\"timestamp\", \"unknown\")}')
"
    else
        echo "进度文件不存在，处理可能尚未开始"
    fi

    echo
    echo "按 Ctrl+C 退出监控"
    sleep 30
done
