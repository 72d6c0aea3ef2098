import pandas as pd

# 加载失败记录
df = pd.read_parquet('./logs/import/failed_tokens.parquet')

print(f"总失败记录: {len(df)}")

# 按步骤分析失败
step_stats = df['step'].value_counts()
print("\n失败步骤统计:")
print(step_stats)

# 按错误类型分析
error_patterns = df['error_msg'].str.extract(r'(.*?):', expand=False).value_counts()
print("\n错误类型统计:")
print(error_patterns.head(10))

# 时间分布分析
df['hour'] = df['failed_at'].dt.hour
hourly_failures = df.groupby('hour').size()
print("\n失败时间分布:")
print(hourly_failures)

# 重试建议
print("\n=== 重试建议 ===")
retry_candidates = df[df['step'].isin(['database_insert', 'fetch_bbox'])]
print(f"建议重试的记录: {len(retry_candidates)} 个")
