var app = WebApplication.CreateSlimBuilder(args).Build();
app.MapGet("/api/health", () => Results.Ok(new { status = "ok" }));
app.Run();
