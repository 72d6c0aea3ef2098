# 检查文件完整性
python -c "
import pandas as pd
try:
    df = pd.read_parquet('./logs/import/successful_tokens.parquet')
    print(f'成功记录文件正常: {len(df)} 条记录')
except Exception as e:
    print(f'成功记录文件损坏: {e}')

try:
    df = pd.read_parquet('./logs/import/failed_tokens.parquet')
    print(f'失败记录文件正常: {len(df)} 条记录')
except Exception as e:
    print(f'失败记录文件损坏: {e}')
"

# 如果文件损坏，删除重新开始
# rm ./logs/import/*.parquet
