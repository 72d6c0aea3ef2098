import pandas as pd
from datetime import datetime, timedelta

# 加载成功记录
df = pd.read_parquet('./logs/import/successful_tokens.parquet')

print(f"总成功记录: {len(df)}")
print(f"最早处理时间: {df['processed_at'].min()}")
print(f"最新处理时间: {df['processed_at'].max()}")

# 按小时统计处理速度
df['hour'] = df['processed_at'].dt.floor('H')
hourly_stats = df.groupby('hour').size()
print("\n每小时处理量:")
print(hourly_stats.tail(24))  # 最近24小时

# 按批次统计
batch_stats = df.groupby('batch_num').size()
print(f"\n平均每批次处理: {batch_stats.mean():.0f} 个场景")
