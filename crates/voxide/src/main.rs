//! `voxide`: the switch binary. Owns the command line, configuration, the
//! tracing subscriber, wiring of the layers, and shutdown.

mod config;
mod serve;
mod setup;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Parser)]
#[command(name = "voxide", version, about = "A SIP/RTP softswitch")]
struct Cli {
    /// Configuration file (default: config/voxide.toml when it exists).
    #[arg(long, global = true, env = "VOXIDE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the switch (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage console users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Validate the configuration and exit.
    CheckConfig,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user who signs in to the web console (`/console/`).
    Add {
        #[arg(long)]
        username: String,
        /// Read the password from standard input (one line), so it never
        /// shows in the process list or the shell's history.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// The tenant (SIP domain, or its numeric id) the user belongs to;
        /// a domain is created when missing. Default: the configured sip.domain.
        #[arg(long)]
        tenant: Option<String>,
        /// Let the user see every tenant and switch between them.
        #[arg(long)]
        superadmin: bool,
    },
    /// Let a user into another tenant too (a user belongs to tenants).
    Join {
        #[arg(long)]
        username: String,
        /// The tenant: its SIP domain or numeric id.
        #[arg(long)]
        tenant: String,
    },
    /// Take a user out of a tenant they joined.
    Leave {
        #[arg(long)]
        username: String,
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it once; only its hash is stored.
    Create {
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// The tenant (SIP domain) it belongs to; created when missing.
        /// Default: the configured sip.domain.
        #[arg(long)]
        tenant: Option<String>,
        /// Let the token see and change every tenant.
        #[arg(long)]
        superadmin: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let path = cli.config.clone().or_else(|| {
        let default = PathBuf::from("config/voxide.toml");
        default.is_file().then_some(default)
    });
    let config = match Config::load(path.as_deref(), std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("voxide: {e}");
            return ExitCode::from(2);
        }
    };
    if matches!(cli.command, Some(Command::CheckConfig)) {
        println!("configuration is valid");
        return ExitCode::SUCCESS;
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&config.log.level))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("voxide: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve::run(config).await,
            Command::Migrate => setup::migrate(&config).await,
            Command::Token { command: TokenCommand::Create { name, tenant, superadmin } } => {
                setup::create_token(&config, &name, tenant.as_deref(), superadmin).await
            }
            Command::User { command: UserCommand::Add { username, password_stdin: _, tenant, superadmin } } => {
                setup::add_user(&config, &username, tenant.as_deref(), superadmin).await
            }
            Command::User { command: UserCommand::Join { username, tenant } } => {
                setup::user_membership(&config, &username, &tenant, true).await
            }
            Command::User { command: UserCommand::Leave { username, tenant } } => {
                setup::user_membership(&config, &username, &tenant, false).await
            }
            Command::CheckConfig => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("voxide: {e:#}");
            ExitCode::FAILURE
        }
    }
}
