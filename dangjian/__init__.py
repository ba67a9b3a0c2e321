"""dangjian: smart party-building service platform (党建服务平台)."""
