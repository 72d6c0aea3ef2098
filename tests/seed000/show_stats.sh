# 查看详细统计信息
python -m spdatalab.cli process-bbox \
  --input output/large_dataset.parquet \
  --show-stats \
  --work-dir "./logs/import_20231201_143025"
