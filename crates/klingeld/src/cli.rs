//! The command-line grammar. Scripts rely on these names: change them only compatibly.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Klingel without a window: sipgate push listener, contacts and call log.
#[derive(Debug, Parser)]
#[command(name = "klingeld", version, about, propagate_version = true)]
pub struct Cli {
    /// Data directory (database, local test key) [default: the user's XDG data dir]
    #[arg(long, global = true, env = "KLINGEL_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Settings file (TOML) [default: klingel.toml in the user's XDG config dir]
    #[arg(long, global = true, env = "KLINGEL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// More log output on stderr (-v: debug, -vv: trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The log filter the verbosity asks for (RUST_LOG wins when set).
    pub fn log_filter(&self) -> &'static str {
        match self.verbose {
            0 => "info",
            1 => "debug",
            _ => "trace",
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the push listener and print one line per call update
    Serve(ServeArgs),
    /// Manage the contact book
    Contacts(ContactsArgs),
    /// Show which contact a number belongs to, and why (or why not)
    Lookup(LookupArgs),
    /// Show the call log
    Calls(CallsArgs),
    /// Show the latest requests the listener received (diagnostics)
    Requests(RequestsArgs),
    /// Send a realistic newCall/answer/hangup sequence to a running listener
    Simulate(SimulateArgs),
    /// Turn a number away: its contact is blocked, or the number goes on the blocklist
    Block(NumberArgs),
    /// Let a blocked number through again
    Unblock(NumberArgs),
    /// List blocked numbers (the blocklist and blocked contacts)
    Blocked(BlockedArgs),
    /// Manage the office hub's desks (on the hub's machine)
    Desks(DesksArgs),
    /// Act as a desk: follow a hub and print one line per call update
    Watch(WatchArgs),
    /// Connect the sipgate account (Personal Access Token) and set its webhook URLs
    Account(AccountArgs),
    /// Place a call: your phone rings first, then the number is called (sipgate account)
    Dial(DialArgs),
}

/// `dial`
#[derive(Debug, Args)]
pub struct DialArgs {
    /// The number to call, in any written form
    pub number: String,
    /// The device that rings first (e0, x1, y2) [default: [sipgate] device, else your default]
    #[arg(long, value_name = "ID")]
    pub device: Option<String>,
    /// JSON output
    #[arg(long)]
    pub json: bool,
}

/// `account`
#[derive(Debug, Args)]
pub struct AccountArgs {
    /// What to do with the account.
    #[command(subcommand)]
    pub command: AccountCommand,
}

/// `account …`
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Check a Personal Access Token with sipgate, read the account and keep the token
    Connect(AccountConnectArgs),
    /// What the token may do, the account's people and lines, the webhook URLs
    Status(AccountStatusArgs),
    /// Read the account from sipgate again
    Refresh(AccountStatusArgs),
    /// Forget the token (sipgate's webhook URLs stay; `account webhooks clear` first)
    Disconnect,
    /// Repair calls from sipgate's call history now: end calls whose hangup never came, add
    /// calls no push brought (runs on its own while `serve` runs)
    Reconcile(AccountStatusArgs),
    /// Point the account's webhook URLs at Klingel, or empty them
    Webhooks(AccountWebhooksArgs),
}

/// `account connect`
#[derive(Debug, Args)]
pub struct AccountConnectArgs {
    /// The token's id, as sipgate shows it (token-ABC123)
    #[arg(long, value_name = "ID")]
    pub token_id: String,
    /// The token itself [default: read from standard input, so it stays out of the history]
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
}

/// `account status` / `account refresh`
#[derive(Debug, Args)]
pub struct AccountStatusArgs {
    /// JSON output
    #[arg(long)]
    pub json: bool,
}

/// `account webhooks`
#[derive(Debug, Args)]
pub struct AccountWebhooksArgs {
    /// Set or clear.
    #[command(subcommand)]
    pub command: WebhooksCommand,
}

/// `account webhooks …`
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Point both webhook URLs at Klingel (read-modify-write; everything else stays)
    Set(WebhooksSetArgs),
    /// Empty the webhook URLs that point at Klingel
    Clear,
}

/// `account webhooks set`
#[derive(Debug, Args)]
pub struct WebhooksSetArgs {
    /// The https:// URL sipgate should call [default: [listener] public_url with its credentials]
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

/// `block` / `unblock`
#[derive(Debug, Args)]
pub struct NumberArgs {
    /// The number, in any written form
    pub number: String,
}

/// `blocked`
#[derive(Debug, Args)]
pub struct BlockedArgs {
    /// JSON output
    #[arg(long)]
    pub json: bool,
}

/// `serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: from settings, 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// URL sipgate reaches this listener at (tunnel or proxy)
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Accept pushes without a valid X-Sipgate-Signature (testing only)
    #[arg(long)]
    pub no_verify_signature: bool,
    /// Serve the office's desks too (as [hub] enabled = true)
    #[arg(long)]
    pub hub: bool,
    /// Plain HTTP on a loopback address behind a TLS reverse proxy (as [hub] behind_proxy)
    #[arg(long)]
    pub behind_proxy: bool,
}

/// `desks`
#[derive(Debug, Args)]
pub struct DesksArgs {
    /// What to do with desks.
    #[command(subcommand)]
    pub command: DesksCommand,
}

/// `desks …`
#[derive(Debug, Subcommand)]
pub enum DesksCommand {
    /// Add a desk; its token is printed once, as the last line
    Add(DeskAddArgs),
    /// List desks: users, last seen, how far behind
    List(DeskListArgs),
    /// Revoke a desk: its token stops working at once
    Revoke(DeskRevokeArgs),
}

/// `desks add`
#[derive(Debug, Args)]
pub struct DeskAddArgs {
    /// The desk's name, e.g. the person sitting there
    pub name: String,
    /// A sipgate user whose calls pop up at this desk (repeatable): an id (w0, w1, …), or with
    /// a connected sipgate account the user's name ("Max Muster")
    #[arg(long = "sipgate-user", value_name = "ID")]
    pub sipgate_users: Vec<String>,
    /// Every incoming call pops up at this desk (a reception desk)
    #[arg(long)]
    pub all_calls: bool,
}

/// `desks list`
#[derive(Debug, Args)]
pub struct DeskListArgs {
    /// JSON output
    #[arg(long)]
    pub json: bool,
}

/// `desks revoke`
#[derive(Debug, Args)]
pub struct DeskRevokeArgs {
    /// The desk's name
    pub name: String,
}

/// `watch`
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The hub's URL, e.g. https://klingel.example.org
    #[arg(long, value_name = "URL")]
    pub hub: String,
    /// The desk token from `klingeld desks add` on the hub
    #[arg(
        long,
        env = "KLINGEL_HUB_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: String,
    /// A CA certificate (PEM) to trust besides the public ones, for a private CA
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// One JSON object per line
    #[arg(long)]
    pub json: bool,
    /// Seconds of silence after which the link counts as dead
    #[arg(long, default_value_t = 45, value_name = "SECS", hide = true)]
    pub idle_timeout: u64,
}

/// `contacts`
#[derive(Debug, Args)]
pub struct ContactsArgs {
    /// What to do with contacts.
    #[command(subcommand)]
    pub command: ContactsCommand,
}

/// `contacts …`
#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Add a contact (at least one number)
    Add(AddArgs),
    /// List contacts
    List(ListArgs),
    /// Change a contact
    Edit(EditArgs),
    /// Delete a contact
    Remove(RemoveArgs),
    /// Import contacts from vCard or CSV (Outlook, Google, any spreadsheet)
    Import(ImportArgs),
    /// Export all contacts as vCard 4.0 or CSV
    Export(ExportArgs),
    /// Numbers that more than one contact has (from books older than the one-owner rule)
    Duplicates(DuplicatesArgs),
}

/// `contacts duplicates`
#[derive(Debug, Args)]
pub struct DuplicatesArgs {
    /// JSON output
    #[arg(long)]
    pub json: bool,
}

/// `contacts import`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to read
    pub file: PathBuf,
    /// auto (from the content), vcard or csv
    #[arg(long, default_value = "auto")]
    pub format: String,
    /// What a CSV column means, e.g. --map "Kunde=company" --map "Tel.=phone:work"
    /// (fields: name, first_name, middle_name, last_name, company, notes, phone, phone:LABEL,
    /// blocked, switchboard, ignore)
    #[arg(long, value_name = "COLUMN=FIELD")]
    pub map: Vec<String>,
    /// Report what would happen without writing anything
    #[arg(long)]
    pub dry_run: bool,
    /// JSON report
    #[arg(long)]
    pub json: bool,
}

/// `contacts export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The file to write
    pub file: PathBuf,
    /// vcard or csv [default: from the file name, else vcard]
    #[arg(long)]
    pub format: Option<String>,
}

/// `contacts add`
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Name shown for the caller
    #[arg(long)]
    pub name: String,
    /// Company shown under the name
    #[arg(long)]
    pub company: Option<String>,
    /// Free notes
    #[arg(long)]
    pub notes: Option<String>,
    /// A number, optionally labelled: "0211 1234567" or "mobile=0171 2345678" (repeatable)
    #[arg(long, value_name = "NUM")]
    pub number: Vec<String>,
    /// A switchboard number that also matches its extensions, e.g. "0211 12345-0" (repeatable)
    #[arg(long, value_name = "NUM")]
    pub switchboard: Vec<String>,
    /// Turn this caller away (sipgate plays busy)
    #[arg(long)]
    pub blocked: bool,
    /// Print the stored contact as JSON
    #[arg(long)]
    pub json: bool,
}

/// `contacts list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only contacts whose name, company or number contains this
    #[arg(long, value_name = "Q")]
    pub search: Option<String>,
    /// JSON output
    #[arg(long)]
    pub json: bool,
}

/// `contacts edit`
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The contact's id (see `contacts list`)
    pub id: i64,
    /// New name
    #[arg(long)]
    pub name: Option<String>,
    /// New company
    #[arg(long)]
    pub company: Option<String>,
    /// New notes
    #[arg(long)]
    pub notes: Option<String>,
    /// Replace all numbers with these (with --switchboard) ("LABEL=NUM" allowed)
    #[arg(long, value_name = "NUM")]
    pub number: Vec<String>,
    /// Replacement switchboard numbers (with --number)
    #[arg(long, value_name = "NUM")]
    pub switchboard: Vec<String>,
    /// Add a number, keeping the others
    #[arg(long, value_name = "NUM")]
    pub add_number: Vec<String>,
    /// Add a switchboard number, keeping the others
    #[arg(long, value_name = "NUM")]
    pub add_switchboard: Vec<String>,
    /// Remove the number that has this E.164 form (any written form works)
    #[arg(long, value_name = "NUM")]
    pub remove_number: Vec<String>,
    /// Block the caller
    #[arg(long, conflicts_with = "unblocked")]
    pub blocked: bool,
    /// Unblock the caller
    #[arg(long)]
    pub unblocked: bool,
    /// Print the stored contact as JSON
    #[arg(long)]
    pub json: bool,
}

/// `contacts remove`
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The contact's id
    pub id: i64,
}

/// `lookup`
#[derive(Debug, Args)]
pub struct LookupArgs {
    /// The number, in any written form (or sipgate's 492111234567)
    pub number: String,
    /// JSON output
    #[arg(long)]
    pub json: bool,
}

/// `calls`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CallsArgs {
    /// Something to do with calls instead of listing them.
    #[command(subcommand)]
    pub command: Option<CallsCommand>,
    /// At most this many calls, newest first
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Only missed incoming calls
    #[arg(long)]
    pub missed: bool,
    /// Only calls whose contact, company, number, line or users contain this (as in the window)
    #[arg(long, value_name = "Q")]
    pub search: Option<String>,
    /// Only calls older than this call id: the next page, or where a search stopped
    #[arg(long, value_name = "ID")]
    pub before: Option<i64>,
    /// JSON output
    #[arg(long)]
    pub json: bool,
}

/// `calls …`
#[derive(Debug, Subcommand)]
pub enum CallsCommand {
    /// Mark missed calls seen
    Seen(SeenArgs),
    /// Export the call log as CSV
    Export(CallsExportArgs),
    /// Remove every test call (sent with the local test key) from the log
    RemoveTests,
}

/// `calls export`
#[derive(Debug, Args)]
pub struct CallsExportArgs {
    /// The CSV file to write
    pub file: PathBuf,
}

/// `calls seen`
#[derive(Debug, Args)]
pub struct SeenArgs {
    /// Call ids (see `calls --missed`)
    #[arg(required_unless_present = "all")]
    pub ids: Vec<i64>,
    /// Every missed call
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
}

/// `requests`
#[derive(Debug, Args)]
pub struct RequestsArgs {
    /// At most this many, newest first
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// JSON output (with bodies)
    #[arg(long)]
    pub json: bool,
}

/// `simulate`
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The listener's URL [default: public_url from settings, else http://<listen address>/]
    #[arg(long)]
    pub url: Option<String>,
    /// Calling number, any written form
    #[arg(long, value_name = "NUM", default_value = "+49 30 12345678")]
    pub from: String,
    /// Called sipgate number, any written form
    #[arg(long, value_name = "NUM", default_value = "+49 211 5558000")]
    pub to: String,
    /// The sipgate user who is rung and answers
    #[arg(long, value_name = "NAME", default_value = "Klingel Test")]
    pub user: String,
    /// Seconds to ring before answering
    #[arg(long, default_value_t = 2.0)]
    pub ring_secs: f64,
    /// Seconds to talk before hanging up
    #[arg(long, default_value_t = 3.0)]
    pub talk_secs: f64,
    /// Let the caller give up before anyone answers (a missed call)
    #[arg(long)]
    pub missed: bool,
    /// A CA certificate (PEM) to trust, for a listener with a private certificate
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
}
