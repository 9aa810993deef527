//! `klingeld contacts …` and `klingeld lookup`.

use std::process::ExitCode;

use anyhow::{bail, Context as _};
use klingel_core::domain::{
    Contact, ContactId, ContactInput, LookupReport, MatchKind, NumberInput,
};
use klingel_core::PhoneNumber;

use crate::cli::{
    AddArgs, ContactsArgs, ContactsCommand, DuplicatesArgs, EditArgs, ListArgs, LookupArgs,
};
use crate::show;
use crate::Context;

/// Runs a `contacts` subcommand.
pub fn run(ctx: &Context, args: ContactsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ContactsCommand::Add(args) => add(ctx, args),
        ContactsCommand::List(args) => list(ctx, &args),
        ContactsCommand::Edit(args) => edit(ctx, args),
        ContactsCommand::Remove(args) => {
            ctx.session()?.remove_contact(ContactId(args.id))?;
            out!("removed contact #{}", args.id);
            Ok(ExitCode::SUCCESS)
        }
        ContactsCommand::Import(args) => crate::interchange::import(ctx, &args),
        ContactsCommand::Export(args) => crate::interchange::export(ctx, &args),
        ContactsCommand::Duplicates(args) => duplicates(ctx, &args),
    }
}

/// Lists numbers several contacts share; calls from them are named after the first.
fn duplicates(ctx: &Context, args: &DuplicatesArgs) -> anyhow::Result<ExitCode> {
    let shared = ctx.session()?.shared_numbers()?;
    if args.json {
        out!("{}", serde_json::to_string_pretty(&shared)?);
        return Ok(ExitCode::SUCCESS);
    }
    if shared.is_empty() {
        out!("every number belongs to one contact");
    }
    for number in &shared {
        let owners: Vec<String> = number
            .contacts
            .iter()
            .map(|c| format!("#{} {}", c.id.0, c.name))
            .collect();
        out!(
            "{}: {} (calls are named after the first; remove the number from the others)",
            number.display,
            owners.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// "mobile=0171 2345678" -> label "mobile"; a bare number has no label.
fn number_input(spec: &str, switchboard: bool) -> NumberInput {
    let (label, number) = match spec.split_once('=') {
        Some((label, number)) => (label.trim().to_string(), number.trim().to_string()),
        None => (String::new(), spec.trim().to_string()),
    };
    NumberInput {
        label,
        number,
        switchboard,
    }
}

fn numbers(plain: &[String], switchboard: &[String]) -> Vec<NumberInput> {
    plain
        .iter()
        .map(|n| number_input(n, false))
        .chain(switchboard.iter().map(|n| number_input(n, true)))
        .collect()
}

fn print_contact(ctx: &Context, contact: &Contact, json: bool, verb: &str) -> anyhow::Result<()> {
    if json {
        out!("{}", serde_json::to_string_pretty(contact)?);
    } else {
        out!(
            "{verb} {}",
            show::contact_block(contact, ctx.settings.numbers.region)
        );
    }
    Ok(())
}

fn add(ctx: &Context, args: AddArgs) -> anyhow::Result<ExitCode> {
    let input = ContactInput {
        name: args.name,
        company: args.company.unwrap_or_default(),
        notes: args.notes.unwrap_or_default(),
        blocked: args.blocked,
        numbers: numbers(&args.number, &args.switchboard),
    };
    if input.numbers.is_empty() {
        bail!("a contact needs at least one --number or --switchboard");
    }
    let contact = ctx.session()?.add_contact(&input)?;
    print_contact(ctx, &contact, args.json, "added")?;
    Ok(ExitCode::SUCCESS)
}

fn list(ctx: &Context, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let region = ctx.settings.numbers.region;
    let contacts = ctx.session()?.contacts(args.search.as_deref(), None)?;
    if args.json {
        out!("{}", serde_json::to_string_pretty(&contacts)?);
    } else if contacts.is_empty() {
        out!("no contacts");
    } else {
        for contact in &contacts {
            out!("{}", show::contact_block(contact, region));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn edit(ctx: &Context, args: EditArgs) -> anyhow::Result<ExitCode> {
    let region = ctx.settings.numbers.region;
    let session = ctx.session()?;
    let id = ContactId(args.id);
    let current = session.contact(id)?;
    let mut input = ContactInput {
        name: args.name.unwrap_or(current.name),
        company: args.company.unwrap_or(current.company),
        notes: args.notes.unwrap_or(current.notes),
        blocked: match (args.blocked, args.unblocked) {
            (true, _) => true,
            (_, true) => false,
            _ => current.blocked,
        },
        numbers: current
            .numbers
            .into_iter()
            .map(|n| NumberInput {
                label: n.label,
                number: n.typed,
                switchboard: n.switchboard,
            })
            .collect(),
    };
    if !args.number.is_empty() || !args.switchboard.is_empty() {
        input.numbers = numbers(&args.number, &args.switchboard);
    }
    for spec in &args.remove_number {
        let gone = PhoneNumber::parse(spec, region)
            .with_context(|| format!("--remove-number {spec:?}"))?;
        let before = input.numbers.len();
        input.numbers.retain(|n| {
            PhoneNumber::parse(&n.number, region).map_or(true, |p| p.e164() != gone.e164())
        });
        if input.numbers.len() == before {
            bail!("contact #{id} has no number {}", gone.display(region));
        }
    }
    input
        .numbers
        .extend(numbers(&args.add_number, &args.add_switchboard));
    let contact = session.update_contact(id, &input)?;
    print_contact(ctx, &contact, args.json, "updated")?;
    Ok(ExitCode::SUCCESS)
}

/// `klingeld lookup NUMBER`
pub fn lookup(ctx: &Context, args: &LookupArgs) -> anyhow::Result<ExitCode> {
    let region = ctx.settings.numbers.region;
    let (number, hit) = ctx
        .session()?
        .lookup(&args.number)
        .with_context(|| format!("cannot look up {:?}", args.number))?;
    let report = LookupReport::new(&args.number, &number, hit, region);
    if args.json {
        out!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    out!("{} → {} ({})", report.input, report.e164, report.display);
    match &report.hit {
        Some(hit) => {
            out!("{}", show::contact_block(&hit.contact, region));
            let how = match hit.kind {
                MatchKind::Exact => "the number itself".to_string(),
                MatchKind::Switchboard => {
                    format!("extension of switchboard number {}", hit.number.e164)
                }
            };
            out!("matched: {how} (stored as {:?})", hit.number.typed);
        }
        None => {
            out!(
                "no contact: tried {} as a number and {} as switchboard prefixes",
                report.e164,
                report
                    .tried
                    .iter()
                    .skip(1)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
