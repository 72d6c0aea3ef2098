def cleanup_old_progress(base_dir, days=7):
    """清理指定天数前的进度文件"""
    import os
    import time
    from pathlib import Path
    
    cutoff_time = time.time() - (days * 24 * 60 * 60)
    cleaned_count = 0
    
    for root, dirs, files in os.walk(base_dir):
        for file in files:
            if file.endswith('.parquet') or file == 'progress.json':
                file_path = Path(root) / file
                if file_path.stat().st_mtime < cutoff_time:
                    file_path.unlink()
                    cleaned_count += 1
    
    print(f"清理了 {cleaned_count} 个过期文件")

# 清理7天前的文件
cleanup_old_progress('./logs', days=7)
