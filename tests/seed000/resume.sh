# 程序会自动检测已处理的数据并跳过
python -m spdatalab.cli process-bbox \
  --input output/large_dataset.parquet \
  --batch 1000 \
  --insert-batch 1000 \
  --work-dir "./logs/import_20231201_143025"
