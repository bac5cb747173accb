return SharpInfer.Cli.CliApp.Run(args);
