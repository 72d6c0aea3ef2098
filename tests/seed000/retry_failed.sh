# 只重试失败的数据，跳过已成功的数据
python -m spdatalab.cli process-bbox \
  --input output/large_dataset.parquet \
  --retry-failed \
  --batch 500 \
  --work-dir "./logs/import_20231201_143025"
