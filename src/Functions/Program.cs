using GivingDay.Functions;

var app = GivingDayApp.Build(args);
await app.RunAsync();
