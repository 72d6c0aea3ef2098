# 启动多个处理任务
datasets=("train" "val" "test")

for dataset in "${datasets[@]}"; do
    python -m spdatalab.cli process-bbox \
        --input "${dataset}_dataset.parquet" \
        --work-dir "./logs/${dataset}_import" &
done

# 监控脚本
while true; do
    clear
    for dataset in "${datasets[@]}"; do
        echo "=== $dataset 处理进度 ==="
        if [ -f "./logs/${dataset}_import/progress.json" ]; then
            cat "./logs/${dataset}_import/progress.json" | \
                jq -r '"处理: \(.processed_scenes)/\(.total_scenes) (\((.processed_scenes/.total_scenes*100)|round)%)"'
        else
            echo "尚未开始"
        fi
        echo
    done
    sleep 30
done
