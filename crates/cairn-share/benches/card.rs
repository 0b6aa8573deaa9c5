//! The preview image's CPU cost natively (release): SVG build, parse and layout (text shaping
//! included), raster, PNG encoding; Latin and Arabic. The worker runs the same code as wasm
//! (`cargo xtask bench share` measures that in workerd).

use cairn_share::{Badge, Issuer, Theme, card};
use criterion::{Criterion, criterion_group, criterion_main};

fn badge(title: &str, name: &str, locale: &str) -> Badge {
    Badge {
        share_id: "sh_0123456789abcdef0123456789abcdef".into(),
        milestone: "projects.10".into(),
        title: title.into(),
        criteria: "10 projects created".into(),
        description: String::new(),
        icon: Some("rocket".into()),
        image: None,
        alt: "A rocket".into(),
        display_name: Some(name.into()),
        message: String::new(),
        achieved_at: "2026-11-30T10:00:00Z".into(),
        locale: locale.into(),
    }
}

fn bench(c: &mut Criterion) {
    let issuer = Issuer {
        id: "https://cairn.test/issuers/prj_1".into(),
        name: "Acme Projects".into(),
        url: "https://acme.test/".into(),
        logo: None,
        theme: Theme::default(),
    };
    let renderer = card::Renderer::new();
    let en = badge("One whole year with Acme", "Ada Lovelace", "en");
    let ar = badge("عشرة مشاريع", "ليلى", "ar");
    c.bench_function("card png (en)", |b| {
        b.iter(|| renderer.png(&en, &issuer).unwrap());
    });
    c.bench_function("card png (ar)", |b| {
        b.iter(|| renderer.png(&ar, &issuer).unwrap());
    });
    c.bench_function("card svg only", |b| b.iter(|| card::svg(&en, &issuer)));
    c.bench_function("card raster only (en)", |b| {
        b.iter(|| renderer.raster(&en, &issuer).unwrap());
    });
    let pixmap = renderer.raster(&en, &issuer).unwrap();
    c.bench_function("card png encoding only", |b| {
        b.iter(|| card::encode(&pixmap).unwrap());
    });
    c.bench_function("renderer setup (font parse)", |b| {
        b.iter(card::Renderer::new);
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
