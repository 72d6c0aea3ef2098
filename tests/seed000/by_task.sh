# 为不同类型的数据集创建独立目录
mkdir -p logs/imports/{training,validation,test}

# 训练数据
python -m spdatalab.cli process-bbox \
  --input train_dataset.parquet \
  --work-dir ./logs/imports/training

# 验证数据
python -m spdatalab.cli process-bbox \
  --input val_dataset.parquet \
  --work-dir ./logs/imports/validation
