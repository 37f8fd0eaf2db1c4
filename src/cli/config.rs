//! `rta config`: settings tools. `rta config reference` prints the configuration reference
//! (`docs/configuration.md` is its output).

#[derive(clap::Args, Debug)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the configuration reference (Markdown) of every key, variable and flag.
    Reference,
}

pub fn run(args: &ConfigArgs) -> anyhow::Result<()> {
    use std::io::Write;
    match args.command {
        ConfigCommand::Reference => {
            let md = crate::settings::reference_markdown();
            let mut out = std::io::stdout().lock();
            out.write_all(md.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}
