"""The operator dashboard: server-rendered pages whose scripts call the JSON APIs."""
