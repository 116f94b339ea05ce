"""Policy applications tracked node by node (快递式公开): from 已提交 to 已拨付."""
