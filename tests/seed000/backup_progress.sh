# 定期备份状态文件
backup_progress() {
    local work_dir="$1"
    local backup_dir="./backups/$(basename "$work_dir")_$(date +%Y%m%d_%H%M%S)"
    
    mkdir -p "$backup_dir"
    cp "$work_dir"/*.parquet "$backup_dir"/ 2>/dev/null || true
    cp "$work_dir"/progress.json "$backup_dir"/ 2>/dev/null || true
    
    echo "已备份到: $backup_dir"
}

# 使用方法
backup_progress "./logs/import"
