# 检查数据库实际记录数
python -c "
from sqlalchemy import create_engine, text

eng = create_engine('postgresql+psycopg://postgres:postgres@local_pg:5432/postgres')
with eng.connect() as conn:
    result = conn.execute(text('SELECT COUNT(*) FROM clips_bbox'))
    db_count = result.scalar()
    print(f'数据库实际记录数: {db_count}')

# 与状态文件对比
import pandas as pd
df = pd.read_parquet('./logs/import/successful_tokens.parquet')
print(f'状态文件记录数: {len(df)}')
print(f'差异: {db_count - len(df)}')
"
