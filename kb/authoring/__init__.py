"""The sign-off: drafts, the 拟稿人 → 审核人 → 发布人 workflow, publishing, diffs and the quality check."""
