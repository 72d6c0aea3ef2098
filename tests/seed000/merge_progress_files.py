import pandas as pd
from pathlib import Path

def merge_progress_files(work_dirs, output_dir):
    """合并多个工作目录的进度文件"""
    all_success = []
    all_failed = []
    
    for work_dir in work_dirs:
        work_path = Path(work_dir)
        
        # 合并成功记录
        success_file = work_path / 'successful_tokens.parquet'
        if success_file.exists():
            df = pd.read_parquet(success_file)
            all_success.append(df)
        
        # 合并失败记录
        failed_file = work_path / 'failed_tokens.parquet'
        if failed_file.exists():
            df = pd.read_parquet(failed_file)
            all_failed.append(df)
    
    # 保存合并结果
    output_path = Path(output_dir)
    output_path.mkdir(exist_ok=True)
    
    if all_success:
        merged_success = pd.concat(all_success, ignore_index=True)
        merged_success = merged_success.drop_duplicates(subset=['scene_token'], keep='last')
        merged_success.to_parquet(output_path / 'successful_tokens.parquet', index=False)
        print(f"合并成功记录: {len(merged_success)} 条")
    
    if all_failed:
        merged_failed = pd.concat(all_failed, ignore_index=True)
        merged_failed.to_parquet(output_path / 'failed_tokens.parquet', index=False)
        print(f"合并失败记录: {len(merged_failed)} 条")

# 使用示例
work_dirs = ['./logs/part1', './logs/part2', './logs/part3']
merge_progress_files(work_dirs, './logs/merged')
