using GivingDay.Functions;
using GivingDay.Functions.Hosting;

// `--emit-function-app DIR` writes the Functions host's layout (host.json, <Function>/function.json) and exits.
var emit = Array.IndexOf(args, "--emit-function-app");
var app = GivingDayApp.Build(emit >= 0 ? args.Where((_, i) => i != emit && i != emit + 1).ToArray() : args);
if (emit >= 0)
{
    var written = FunctionAppLayout.Write(app, args[emit + 1]);
    Console.WriteLine($"wrote host.json and {written.Count} functions to {args[emit + 1]}: {string.Join(", ", written)}");
    return;
}
await app.RunAsync();
