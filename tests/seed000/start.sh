# 创建带时间戳的工作目录
WORK_DIR="./logs/import_$(date +%Y%m%d_%H%M%S)"

# 开始处理
python -m spdatalab.cli process-bbox \
  --input output/large_dataset.parquet \
  --batch 1000 \
  --insert-batch 1000 \
  --work-dir "$WORK_DIR"
