//! Service certificates (志愿服务记录证明): issued from confirmed records, signed, printable
//! as a PDF with a QR code, verifiable by anyone.

use super::Service;
use std::collections::BTreeMap;

use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::service::chain::{
    certificate_signature, link_hash, random_certificate_no, verify_certificate_signature,
};
use zhiyuan_domain::service::format_hours;
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::service::records::{self, CertificateRow};
use zhiyuan_store::{network::orgs, now_millis, people::volunteers};

use crate::access::Caller;
use crate::error::{AppError, AppResult};
use crate::service::records::facts;
use crate::{show_time, today};

/// What a certificate certifies; signed as its JSON text.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CertificatePayload {
    pub certificate_no: String,
    pub volunteer_id: i64,
    pub volunteer_name: String,
    pub id_type: String,
    pub id_masked: String,
    pub volunteer_no: String,
    pub period_from: String,
    pub period_to: String,
    pub total_minutes: i64,
    pub records: Vec<CertifiedRecord>,
    pub issuing_unit: String,
    pub person_in_charge: String,
    pub handler: String,
    pub contact: String,
    pub notes: String,
    pub issued_on: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CertifiedRecord {
    pub id: i64,
    pub hash: String,
    pub date: String,
    pub activity: String,
    pub organizer: String,
    pub minutes: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CertificateView {
    pub certificate_no: String,
    pub issued_at: String,
    pub total_hours: String,
    pub record_count: usize,
    pub period_from: String,
    pub period_to: String,
    /// Where anyone can check it.
    pub verify_path: String,
}

/// The public answer to "is this certificate genuine?". The contents (name, masked ID,
/// records) are shown only to someone who holds the certificate's signature fragment (the `s`
/// of its QR link); without it, or with a wrong one, nothing but "cannot be verified".
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Verification {
    pub certificate_no: String,
    pub genuine: bool,
    /// Why it is not genuine: `signature_missing` (no fragment given), `signature_mismatch` (no
    /// certificate with this number and fragment — an unknown number answers the same, so
    /// numbers cannot be probed), `tampered`, `inconsistent`, `records_changed`; absent when
    /// genuine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub message: String,
    pub payload: Option<CertificatePayload>,
    pub total_hours: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct CertificateRequest {
    /// YYYY-MM-DD; from the first record when absent.
    pub from: Option<String>,
    /// YYYY-MM-DD; today when absent.
    pub to: Option<String>,
    #[serde(default)]
    pub notes: String,
}

fn date(s: Option<&str>, default: chrono::NaiveDate) -> AppResult<chrono::NaiveDate> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| AppError::invalid("period", "service_date_invalid", "日期格式应为 YYYY-MM-DD")),
        None => Ok(default),
    }
}

fn cn_date(d: &str) -> String {
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .map(|d| d.format("%Y年%-m月%-d日").to_string())
        .unwrap_or_default()
}

/// The fewest hex characters of the signature a verification must bring (64 bits); the QR
/// link carries exactly this many.
pub const MIN_SIGNATURE_FRAGMENT: usize = 16;

fn verify_path(no: &str, sig: &str) -> String {
    format!("/verify/{no}?s={}", &sig[..MIN_SIGNATURE_FRAGMENT.min(sig.len())])
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Service<'_> {
    fn certificate_key(&self) -> [u8; 32] {
        self.vault().derived_key("certificate")
    }

    /// Issues a certificate of the volunteer's confirmed service in a period (the holder, or an
    /// administrator who can see the volunteer).
    pub async fn issue_certificate(
        &self,
        caller: &Caller,
        volunteer_id: i64,
        req: &CertificateRequest,
    ) -> AppResult<CertificateView> {
        self.people().volunteer(caller, volunteer_id).await?;
        if req.notes.chars().count() > 200 {
            return Err(AppError::invalid("notes", "text_invalid", "备注不超过200字"));
        }
        let to = date(req.to.as_deref(), today())?;
        let from = date(
            req.from.as_deref(),
            chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"),
        )?;
        if from > to {
            return Err(AppError::invalid(
                "period",
                "service_date_invalid",
                "起始日期不能晚于截止日期",
            ));
        }
        let mut tx = self.begin().await?;
        let v = volunteers::get(&mut tx, volunteer_id)
            .await?
            .ok_or(AppError::NotFound("志愿者"))?;
        let rows =
            records::confirmed_between(&mut tx, volunteer_id, &from.to_string(), &to.to_string()).await?;
        if rows.is_empty() {
            return Err(AppError::Conflict {
                code: "no_records",
                field: None,
                message: "该期间没有已确认的服务记录，暂不能出具证明".into(),
            });
        }
        // The issuing unit is the organization the volunteer served most with.
        let mut by_org: BTreeMap<i64, i64> = BTreeMap::new();
        for r in &rows {
            *by_org.entry(r.organization_id).or_default() += r.minutes;
        }
        let main_org = by_org
            .iter()
            .max_by_key(|(id, m)| (**m, -**id))
            .map(|(id, _)| *id)
            .expect("non-empty");
        let org = orgs::get(&mut tx, main_org)
            .await?
            .ok_or(AppError::NotFound("队伍"))?;
        // Readable prefix, random tail: numbers cannot be listed by counting.
        let mut no = String::new();
        for _ in 0..8 {
            let mut random = [0u8; 5];
            rand::rngs::OsRng.fill_bytes(&mut random);
            no = random_certificate_no(today().year_ce().1 as i32, &v.region_code[..6], random);
            if records::certificate(&mut tx, &no).await?.is_none() {
                break;
            }
        }
        let total: i64 = rows.iter().map(|r| r.minutes).sum();
        let person = rows
            .iter()
            .rev()
            .find(|r| r.organization_id == org.id)
            .map(|r| r.person_in_charge.clone())
            .unwrap_or_default();
        let payload = CertificatePayload {
            certificate_no: no.clone(),
            volunteer_id,
            volunteer_name: v.name.clone(),
            id_type: "居民身份证".into(),
            id_masked: v.id_masked.clone(),
            volunteer_no: v.volunteer_no.clone().unwrap_or_default(),
            period_from: rows
                .first()
                .map(|r| r.service_date.clone())
                .unwrap_or_default()
                .max(from.to_string()),
            period_to: to.to_string(),
            total_minutes: total,
            records: rows
                .iter()
                .map(|r| CertifiedRecord {
                    id: r.id,
                    hash: r.hash.clone(),
                    date: r.service_date.clone(),
                    activity: r.activity.clone(),
                    organizer: r.organizer.clone(),
                    minutes: r.minutes,
                })
                .collect(),
            issuing_unit: org.name.clone(),
            person_in_charge: if org.contact_name.is_empty() {
                person
            } else {
                org.contact_name.clone()
            },
            handler: "系统自动出具".into(),
            contact: org.contact_phone.clone(),
            notes: req.notes.trim().to_owned(),
            issued_on: today().to_string(),
        };
        let text = serde_json::to_string(&payload).map_err(|e| AppError::Internal(e.to_string()))?;
        let sig = certificate_signature(&self.certificate_key(), &text);
        let at = now_millis();
        records::insert_certificate(&mut tx, &no, volunteer_id, &text, &sig, at).await?;
        tx.audit(NewAudit {
                actor_id: Some(caller.account_id),
                actor_name: caller.display_name.clone(),
                action: AuditAction::CertificateIssue,
                entity_id: no.clone(),
                region_code: Some(v.region_code.clone()),
                org_path: Some(org.path.clone()),
                before: None,
                after: Some(serde_json::json!({"volunteer_id": volunteer_id, "total_minutes": total, "records": rows.len()})),
            },
        )
        .await?;
        tx.after_commit(crate::work::AfterCommit::RefreshResident(volunteer_id));
        tx.commit(self).await?;
        Ok(CertificateView {
            verify_path: verify_path(&no, &sig),
            certificate_no: no,
            issued_at: show_time(at),
            total_hours: format_hours(total),
            record_count: payload.records.len(),
            period_from: payload.period_from,
            period_to: payload.period_to,
        })
    }

    pub async fn certificates_of(
        &self,
        caller: &Caller,
        volunteer_id: i64,
    ) -> AppResult<Vec<CertificateView>> {
        self.people().volunteer(caller, volunteer_id).await?;
        let mut conn = self.conn().await?;
        let rows = records::certificates_of(&mut conn, volunteer_id).await?;
        rows.into_iter().map(|r| certificate_view(&r)).collect()
    }

    async fn certificate_row(&self, no: &str) -> AppResult<CertificateRow> {
        let mut conn = self.conn().await?;
        records::certificate(&mut conn, no.trim())
            .await?
            .ok_or(AppError::NotFound("证明"))
    }

    /// The certificate as a PDF; the configured public URL prefixes the verification link in
    /// its QR code (never a request's Host header, which the requester chooses).
    pub async fn certificate_pdf(&self, caller: &Caller, no: &str) -> AppResult<Vec<u8>> {
        let row = self.certificate_row(no).await?;
        self.people().volunteer(caller, row.volunteer_id).await?;
        let p: CertificatePayload =
            serde_json::from_str(&row.payload).map_err(|e| AppError::Internal(e.to_string()))?;
        let data = zhiyuan_pdf::CertificateData {
            certificate_no: p.certificate_no.clone(),
            issued_on: cn_date(&p.issued_on),
            volunteer_name: p.volunteer_name.clone(),
            id_type: p.id_type.clone(),
            id_masked: p.id_masked.clone(),
            volunteer_no: p.volunteer_no.clone(),
            total_hours: format_hours(p.total_minutes),
            period: format!("{}至{}", cn_date(&p.period_from), cn_date(&p.period_to)),
            records: p
                .records
                .iter()
                .map(|r| zhiyuan_pdf::CertificateRecord {
                    date: r.date.clone(),
                    activity: r.activity.clone(),
                    organizer: r.organizer.clone(),
                    hours: format_hours(r.minutes),
                })
                .collect(),
            issuing_unit: p.issuing_unit.clone(),
            person_in_charge: p.person_in_charge.clone(),
            handler: p.handler.clone(),
            contact: p.contact.clone(),
            notes: p.notes.clone(),
            verify_url: format!(
                "{}{}",
                self.public_url(),
                verify_path(&row.certificate_no, &row.signature)
            ),
            signature: row.signature.clone(),
        };
        tokio::task::spawn_blocking(move || zhiyuan_pdf::render_certificate(&data))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Anyone holding the certificate may ask whether it is genuine: the number and the
    /// signature fragment printed in its QR link (at least [`MIN_SIGNATURE_FRAGMENT`] hex
    /// characters). It is when the fragment matches, the signature checks over what it
    /// certifies, and every record it names is still stored with the same chained hash. Without
    /// a matching fragment the answer says only that it cannot be verified — no contents, and the
    /// same answer for an unknown number.
    pub async fn verify_certificate(&self, no: &str, sig_prefix: Option<&str>) -> AppResult<Verification> {
        // a certificate that is not genuine shows nothing of what it claims
        let fail = |reason: &str, message: &str, _claimed: Option<CertificatePayload>| Verification {
            certificate_no: no.to_owned(),
            genuine: false,
            reason: Some(reason.to_owned()),
            message: message.to_owned(),
            total_hours: None,
            payload: None,
        };
        let Some(fragment) = sig_prefix.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(fail(
                "signature_missing",
                "缺少防伪签名，无法验证：请扫描证明上的二维码，或输入证明上印的防伪码",
                None,
            ));
        };
        let mismatch = || {
            fail(
                "signature_mismatch",
                "无法验证：证明编号与防伪签名不符，该证明不是本平台出具的或已被改动",
                None,
            )
        };
        if fragment.len() < MIN_SIGNATURE_FRAGMENT || !fragment.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(mismatch());
        }
        let row = match self.certificate_row(no).await {
            Ok(r) => r,
            Err(AppError::NotFound(_)) => return Ok(mismatch()),
            Err(e) => return Err(e),
        };
        let stored = row.signature.to_ascii_lowercase();
        let given = fragment.to_ascii_lowercase();
        if given.len() > stored.len()
            || !constant_time_eq(&stored.as_bytes()[..given.len()], given.as_bytes())
        {
            return Ok(mismatch());
        }
        let payload: Option<CertificatePayload> = serde_json::from_str(&row.payload).ok();
        if !verify_certificate_signature(&self.certificate_key(), &row.payload, &row.signature)
            || payload.is_none()
        {
            return Ok(fail("tampered", "证明内容与签名不符，可能已被篡改", None));
        }
        let payload = payload.expect("checked");
        if payload.certificate_no != row.certificate_no
            || payload.records.iter().map(|r| r.minutes).sum::<i64>() != payload.total_minutes
        {
            return Ok(fail("inconsistent", "证明中的数字前后不一致", Some(payload)));
        }
        let mut conn = self.conn().await?;
        for r in &payload.records {
            let stored = records::get(&mut conn, r.id).await?;
            let ok = stored.as_ref().is_some_and(|s| {
                s.hash == r.hash && s.minutes == r.minutes && link_hash(&s.prev_hash, &facts(s)) == s.hash
            });
            if !ok {
                return Ok(fail(
                    "records_changed",
                    "证明所依据的服务记录与存档不符",
                    Some(payload),
                ));
            }
        }
        Ok(Verification {
            certificate_no: row.certificate_no.clone(),
            genuine: true,
            reason: None,
            message: "真实有效：该证明由本平台出具，内容与服务记录存档一致".into(),
            total_hours: Some(format_hours(payload.total_minutes)),
            payload: Some(payload),
        })
    }
}

fn certificate_view(r: &CertificateRow) -> AppResult<CertificateView> {
    let p: CertificatePayload =
        serde_json::from_str(&r.payload).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(CertificateView {
        certificate_no: r.certificate_no.clone(),
        issued_at: show_time(r.issued_at),
        total_hours: format_hours(p.total_minutes),
        record_count: p.records.len(),
        period_from: p.period_from,
        period_to: p.period_to,
        verify_path: verify_path(&r.certificate_no, &r.signature),
    })
}

use chrono::Datelike;
